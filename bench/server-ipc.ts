// The child's half of the benchmarks' server IPC (parent → child: start | stop |
// exit; child → parent: ready {port}, started, stopped {cpuUs}): process CPU is
// read between start and stop only, so boot and warm-up are not billed to requests.
export function answerParent(port: number, stop: () => Promise<void>): void {
  let cpu: NodeJS.CpuUsage | undefined;
  const exit = async () => {
    await stop();
    process.exit(0);
  };
  process.on('message', (msg: { type: string }) => {
    if (msg.type === 'start') {
      cpu = process.cpuUsage();
      process.send!({ type: 'started' });
    } else if (msg.type === 'stop') {
      const d = process.cpuUsage(cpu);
      process.send!({ type: 'stopped', cpuUs: d.user + d.system });
    } else if (msg.type === 'exit') void exit();
  });
  // A parent that crashed must not leave a server running.
  process.on('disconnect', () => void exit());
  process.send!({ type: 'ready', port });
}
