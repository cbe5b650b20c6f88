/**
 * What anyone may read: the study list, a study with its progress,
 * contributors and units, its validated results, and its live progress.
 * Answers come from the read cache as pre-serialised JSON with an ETag
 * (304 when the client has it), rate-limited per address by the server.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { getStudy, type Coordinator } from '../context';
import type { CachedBody } from '../read-cache';

function send(request: FastifyRequest, reply: FastifyReply, cached: CachedBody) {
  reply.header('etag', cached.etag).header('cache-control', 'no-cache');
  if (request.headers['if-none-match'] === cached.etag) return reply.status(304).send();
  return reply.type('application/json; charset=utf-8').send(cached.body);
}

export function publicRoutes(api: FastifyInstance, c: Coordinator): void {
  api.get('/studies', async (request, reply) => send(request, reply, c.cache.studyList()));

  api.get<{ Params: { id: string } }>('/studies/:id', async (request, reply) => send(request, reply, c.cache.study(getStudy(c, request.params.id))));

  api.get<{ Params: { id: string } }>('/studies/:id/results', async (request, reply) => send(request, reply, c.cache.results(getStudy(c, request.params.id))));

  api.get<{ Params: { id: string } }>('/studies/:id/events', async (request, reply) => {
    const study = getStudy(c, request.params.id);
    c.streams.admit(request.ip);
    reply.hijack();
    c.streams.open(reply.raw, request.ip, study.id);
  });
}
