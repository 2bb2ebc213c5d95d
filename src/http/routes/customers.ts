import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CustomerService } from '../../domain/customers.js';
import { DEFAULT_PAGE_SIZE } from '../../store/paging.js';
import { requirePrincipal } from '../auth.js';
import { CustomerSchema, IdParams, NameBody, PageQuery, SiteSchema, errors, pageOf } from '../schemas.js';

export const customerRoutes: FastifyPluginAsyncTypebox<{ customers: CustomerService }> = async (app, { customers }) => {
  const tags = ['Customers and sites'];

  app.get(
    '/customers',
    {
      schema: {
        tags,
        summary: 'List customers, sorted by name',
        querystring: Type.Composite([PageQuery, Type.Object({ q: Type.Optional(Type.String({ maxLength: 200 })) })]),
        response: { 200: pageOf(Type.Ref('Customer')), ...errors(400) },
      },
    },
    async (request) => {
      const { limit = DEFAULT_PAGE_SIZE, cursor, q } = request.query;
      return customers.list(requirePrincipal(request), {
        limit,
        ...(cursor === undefined ? {} : { cursor }),
        ...(q === undefined ? {} : { search: q }),
      });
    },
  );

  app.post(
    '/customers',
    {
      schema: {
        tags,
        summary: 'Create a customer',
        body: NameBody,
        response: { 201: CustomerSchema, ...errors(400, 403, 409) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await customers.create(requirePrincipal(request), request.body.name)),
  );

  app.get(
    '/customers/:id',
    {
      schema: { tags, summary: 'Get a customer', params: IdParams, response: { 200: CustomerSchema, ...errors(404) } },
    },
    async (request) => customers.get(requirePrincipal(request), request.params.id),
  );

  app.patch(
    '/customers/:id',
    {
      schema: {
        tags,
        summary: 'Rename a customer',
        params: IdParams,
        body: NameBody,
        response: { 200: CustomerSchema, ...errors(400, 404, 409) },
      },
    },
    async (request) => customers.rename(requirePrincipal(request), request.params.id, request.body.name),
  );

  app.delete(
    '/customers/:id',
    {
      schema: {
        tags,
        summary: 'Delete a customer that has no sites left',
        params: IdParams,
        response: { 204: Type.Null(), ...errors(403, 404, 409) },
      },
    },
    async (request, reply) => {
      await customers.delete(requirePrincipal(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/customers/:id/sites',
    {
      schema: {
        tags,
        summary: "List a customer's sites, sorted by name",
        params: IdParams,
        querystring: PageQuery,
        response: { 200: pageOf(Type.Ref('Site')), ...errors(400, 404) },
      },
    },
    async (request) => {
      const { limit = DEFAULT_PAGE_SIZE, cursor } = request.query;
      return customers.listSites(requirePrincipal(request), request.params.id, {
        limit,
        ...(cursor === undefined ? {} : { cursor }),
      });
    },
  );

  app.post(
    '/customers/:id/sites',
    {
      schema: {
        tags,
        summary: 'Create a site for a customer',
        params: IdParams,
        body: NameBody,
        response: { 201: SiteSchema, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await customers.createSite(requirePrincipal(request), request.params.id, request.body.name)),
  );

  app.get(
    '/sites/:id',
    { schema: { tags, summary: 'Get a site', params: IdParams, response: { 200: SiteSchema, ...errors(404) } } },
    async (request) => customers.getSite(requirePrincipal(request), request.params.id),
  );

  app.patch(
    '/sites/:id',
    {
      schema: {
        tags,
        summary: 'Rename a site',
        params: IdParams,
        body: NameBody,
        response: { 200: SiteSchema, ...errors(400, 404, 409) },
      },
    },
    async (request) => customers.renameSite(requirePrincipal(request), request.params.id, request.body.name),
  );

  app.delete(
    '/sites/:id',
    {
      schema: {
        tags,
        summary: 'Delete a site that has nothing attached',
        params: IdParams,
        response: { 204: Type.Null(), ...errors(404, 409) },
      },
    },
    async (request, reply) => {
      await customers.deleteSite(requirePrincipal(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
