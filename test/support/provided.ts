// What the global setup hands every test file (vitest's provide/inject), typed once.
declare module 'vitest' {
  export interface ProvidedContext {
    /** `postgres://user:pass@host:port` of the run's cluster, without a database. */
    postgresServerUrl: string;
    redisUrl: string;
    kafkaBrokers: string[];
  }
}

export {};
