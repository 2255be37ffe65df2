// The baseline of bench/http-ping.ts: bare fastify 5 answering GET /ping with
// the body the ping plugin answers, behind the same IPC as every bench server.
import Fastify from 'fastify';
import { answerParent } from '../server-ipc.ts';

const app = Fastify({ logger: false });
app.get('/ping', async () => ({ pong: true }));
await app.listen({ port: 0, host: '127.0.0.1' });
answerParent((app.server.address() as { port: number }).port, () => app.close());
