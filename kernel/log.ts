// The kernel's own logging goes through the logger tool (STYLE.md: no console in
// kernel/ or tools/). Until that tool is set up, and if it fails, lines go to
// stderr as JSON so nothing is lost.

export interface KernelLog {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A tool that can give the kernel a log per identity (the logger tool does). */
export interface LogSource {
  child(identity: string): KernelLog;
}

export function silentLog(): KernelLog {
  const drop = () => undefined;
  return { debug: drop, info: drop, warn: drop, error: drop };
}

export function stderrLog(identity: string): KernelLog {
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    process.stderr.write(JSON.stringify({ level, time: Date.now(), identity, msg: message, ...fields }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) + '\n');
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
