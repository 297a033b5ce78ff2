import { writeSync } from 'node:fs';
import pino, { type DestinationStream } from 'pino';

type Level = 'debug' | 'info' | 'warn' | 'error';
type Fields = Record<string, unknown>;

/** Call its methods on the logger (`log.info(…)`), as with pino: a child's methods are not detachable functions. */
export interface Logger {
  debug(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
  /** The process is about to exit because of this. */
  fatal(message: string, fields?: Fields): void;
  /** Every line of the child carries `bindings` (a request id, a message id, a delivery id). */
  child(bindings: Fields): Logger;
}

/**
 * Synchronous, so a line written just before process.exit() (a start-up failure, the
 * last shutdown step) is not lost in a buffer; a failed write (the terminal is gone,
 * EIO/EPIPE) drops the line instead of throwing into whatever was logging.
 */
const stderr: DestinationStream = {
  write(line: string) {
    try {
      writeSync(2, line);
    } catch {
      // nowhere left to report it
    }
  },
};

/**
 * One JSON line per event (pino), on stderr, so stdout stays free for what a
 * person must read (the URL, the one-time root key). Fields: level (a name),
 * time (ISO 8601), name (api, worker, herald), msg, then the event's own.
 */
export function createLogger(name: string, level: Level = 'info', destination?: DestinationStream): Logger {
  const root = pino(
    {
      name,
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? stderr,
  );
  return wrap(root);
}

function wrap(target: pino.Logger): Logger {
  const at = (level: Level | 'fatal') => (message: string, fields?: Fields) => {
    if (fields) target[level](fields, message);
    else target[level](message);
  };
  return { ...levels(at), child: (bindings) => new LazyChild(target, bindings) };
}

function levels(at: (level: Level | 'fatal') => (message: string, fields?: Fields) => void): Omit<Logger, 'child'> {
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal') };
}

/**
 * A child made on its first line at an enabled level: the API makes one per request
 * (for its request id), and most requests log nothing at `info`, so building pino's
 * child (its bindings serialized) every time would be work for no line. A class, so a
 * request costs one small object, not a closure per level.
 */
class LazyChild implements Logger {
  #made: Logger | undefined;
  constructor(
    private readonly parent: pino.Logger,
    private readonly bindings: Fields,
  ) {}
  #write(level: Level | 'fatal', message: string, fields?: Fields) {
    if (!this.parent.isLevelEnabled(level)) return;
    this.#made ??= wrap(this.parent.child(this.bindings));
    this.#made[level](message, fields);
  }
  debug(message: string, fields?: Fields) {
    this.#write('debug', message, fields);
  }
  info(message: string, fields?: Fields) {
    this.#write('info', message, fields);
  }
  warn(message: string, fields?: Fields) {
    this.#write('warn', message, fields);
  }
  error(message: string, fields?: Fields) {
    this.#write('error', message, fields);
  }
  fatal(message: string, fields?: Fields) {
    this.#write('fatal', message, fields);
  }
  child(more: Fields): Logger {
    return new LazyChild(this.parent, { ...this.bindings, ...more });
  }
}
