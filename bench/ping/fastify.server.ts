// The baseline of bench/http-ping.ts: bare fastify 5 answering GET /ping with
// the body the ping plugin answers, speaking project.server.ts's IPC (start,
// stop {cpuUs}, exit; ready {port}) so server-child.ts drives both alike.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/ping', async () => ({ pong: true }));
await app.listen({ port: 0, host: '127.0.0.1' });
let cpu: NodeJS.CpuUsage | undefined;
const exit = async () => {
  await app.close();
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
process.on('disconnect', () => void exit());
process.send!({ type: 'ready', port: (app.server.address() as { port: number }).port });
