// The baseline of bench/hostings-footprint.ts: bare fastify 5 answering GET
// /health on HTTP_PORT, what one would start instead of a kernel. Started the
// way the kernel is (node with the same flags), so both boot times include
// Node's own start-up.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/health', async () => ({ status: 'ready', down: [] }));
await app.listen({ port: Number(process.env.HTTP_PORT), host: '127.0.0.1' });
// Stopped by SIGTERM like `microcore start`.
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
