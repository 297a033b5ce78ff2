import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '@herald/db';
import { Kafka, logLevel } from 'kafkajs';
import { waitFor } from './wait';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LIBS = join(ROOT, '.cache/kafka/libs');

/**
 * A single-node Apache Kafka broker in KRaft mode (broker and controller in
 * one JVM), run from the Maven Central jars that tools/kafka/fetch.sh collects.
 */
export async function startTestKafka(options: { port?: number } = {}) {
  if (!existsSync(join(LIBS, '.complete'))) {
    try {
      await run('bash', [join(ROOT, 'tools/kafka/fetch.sh')], { timeout: 15 * 60_000 });
    } catch (error) {
      throw new Error(`cannot collect the Kafka jars with Maven (needs a JDK and mvn): ${error instanceof Error ? error.message : error}`);
    }
  }
  const dir = await mkdtemp(join(tmpdir(), 'herald-test-kafka-'));
  const [port, controllerPort] = [options.port ?? (await freePort()), await freePort()];
  const properties = join(dir, 'server.properties');
  await writeFile(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${join(dir, 'data')}`,
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=4',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
    ].join('\n'),
  );
  const classpath = `${LIBS}/*`;
  // Kafka cluster ids are 16 random bytes in unpadded URL-safe base64.
  const clusterId = randomBytes(16).toString('base64url');
  await run(
    'java',
    ['-cp', classpath, 'kafka.tools.StorageTool', 'format', '--standalone', `--cluster-id=${clusterId}`, '-c', properties],
    {
      timeout: 60_000,
    },
  );

  const log: string[] = [];
  const child: ChildProcess = spawn('java', ['-Xmx384m', '-Xms128m', '-XX:+UseSerialGC', '-cp', classpath, 'kafka.Kafka', properties], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KAFKA_LOG4J_OPTS: '' },
  });
  const keep = (chunk: Buffer) => {
    log.push(chunk.toString());
    if (log.length > 50) log.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`Kafka broker exited with code ${code}:\n${log.join('').slice(-3000)}`);
  });
  exited.catch(() => {});

  const brokers = [`127.0.0.1:${port}`];
  await Promise.race([
    exited,
    waitFor(
      'kafka',
      async () => {
        const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
        await admin.connect();
        try {
          await admin.describeCluster();
        } finally {
          await admin.disconnect();
        }
      },
      90_000,
      250,
    ),
  ]);
  return {
    brokers,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await once(child, 'exit');
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
