import type { RouteModule } from './server.js';

export const helloRoutes: RouteModule = (app) => {
  app.get('/hello', async (_req, reply) => reply.code(200).header('content-type', 'text/plain; charset=UTF-8').send('Hello from Heketi'));
};
