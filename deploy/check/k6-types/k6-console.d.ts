// k6 has a console (log, debug, info, warn, error) that @types/k6 does not declare; lib "dom"
// would declare it but also admit browser globals that k6 does not have.
declare const console: {
  log(...data: unknown[]): void;
  debug(...data: unknown[]): void;
  info(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
};
