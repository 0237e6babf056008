/**
 * Checks HTTP responses against openapi.yaml.
 *
 *   import { expectSpec } from '../helpers/openapi.js';
 *   const res = expectSpec(await srv.get(`/volumes/${id}`));   // throws if it does not match
 *
 * `assertMatchesSpec(method, path, status, headers, body)` is the same check for hand-made data.
 * What is checked:
 * - the operation exists (concrete paths such as `/volumes/0123…` are matched to `/volumes/{id}`;
 *   unknown paths / methods fall back to the router answers of `x-router-responses`: 301, 400,
 *   401, 404, 405, 413, 503);
 * - the status is documented for it;
 * - every `required` response header is present and matches its schema (Location, X-Pending,
 *   Retry-After, X-Content-Type-Options, X-Request-Id);
 * - no documented content ⇒ empty body; otherwise the Content-Type media type is documented, JSON
 *   bodies validate against the schema (`additionalProperties: false` catches stray fields) and end
 *   with `\n`, plain-text error bodies end with `\n`.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type supertest from 'supertest';
import { loadOpenApiSpec } from '../../src/api/openapi-spec.js';

type Json = Record<string, unknown>;
type Headers = Record<string, string | string[] | number | undefined>;

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface SpecOperation {
  method: string;
  /** Path template as written in openapi.yaml, e.g. `/volumes/{id}`. */
  path: string;
  operation: Json;
}

interface Loaded {
  spec: Json;
  ajv: Ajv;
  validators: Map<string, ValidateFunction>;
  templates: { path: string; re: RegExp; literal: number }[];
}

let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded) return loaded;
  const spec = loadOpenApiSpec();
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    // OpenAPI formats carry no constraint for validation here.
    formats: { int32: true, int64: true, float: true, double: true, byte: true, binary: true, password: true },
  });
  // Schemas reference `#/components/...`: register the components under the document's id and
  // rewrite the fragments we compile to point into it.
  ajv.addSchema({ components: spec.components }, SPEC_ID);
  const templates = Object.keys((spec.paths ?? {}) as Json).map((path) => ({
    path,
    re: new RegExp(
      '^' +
        path
          .split('/')
          .map((seg) => (/^\{[^}]+\}$/.test(seg) ? '([^/]+)' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
          .join('/') +
        '$',
    ),
    literal: path.split('/').filter((s) => s && !s.startsWith('{')).length,
  }));
  // Prefer the template with the most literal segments (`/volumes/plan` over `/volumes/{id}`).
  templates.sort((a, b) => b.literal - a.literal);
  loaded = { spec, ajv, validators: new Map(), templates };
  return loaded;
}

const SPEC_ID = 'openapi.yaml';

/** The parsed openapi.yaml (shared; do not mutate). */
export function openapiSpec(): Json {
  return load().spec;
}

/** Every operation of the spec. */
export function specOperations(): SpecOperation[] {
  const out: SpecOperation[] = [];
  for (const [path, item] of Object.entries(openapiSpec().paths as Json)) {
    for (const method of HTTP_METHODS) {
      const operation = (item as Json)[method];
      if (operation) out.push({ method: method.toUpperCase(), path, operation: operation as Json });
    }
  }
  return out;
}

/** Follows a local `$ref` (`#/components/responses/X`, …) for non-schema objects. */
export function deref<T = Json>(obj: unknown): T {
  let cur = obj as Json;
  for (let i = 0; i < 10 && cur && typeof cur.$ref === 'string'; i++) {
    const ref = cur.$ref as string;
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    let target: unknown = openapiSpec();
    for (const raw of ref.slice(2).split('/')) {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      target = (target as Json | undefined)?.[key];
    }
    if (target === undefined) throw new Error(`unresolved $ref ${ref}`);
    cur = target as Json;
  }
  return cur as T;
}

function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (schema && typeof schema === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(schema as Json)) {
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${SPEC_ID}${v}` : rebase(v);
    }
    return out;
  }
  return schema;
}

/** Compiles (and caches) a schema taken from anywhere in the spec; `key` identifies it. */
export function compileSchema(key: string, schema: unknown): ValidateFunction {
  const l = load();
  let v = l.validators.get(key);
  if (!v) {
    v = l.ajv.compile(rebase(schema) as Json);
    l.validators.set(key, v);
  }
  return v;
}

/** Finds the path template matching a concrete path (or a template), checking `{param}` patterns. */
export function matchPath(path: string): { template: string; params: Record<string, string> } | undefined {
  const clean = path.split('?')[0]!;
  const l = load();
  const paths = l.spec.paths as Json;
  if (paths[clean]) return { template: clean, params: {} };
  for (const t of l.templates) {
    const m = t.re.exec(clean);
    if (!m) continue;
    const names = [...t.path.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]!);
    const params: Record<string, string> = {};
    names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
    if (paramsValid(t.path, params)) return { template: t.path, params };
  }
  return undefined;
}

function paramsValid(template: string, params: Record<string, string>): boolean {
  const item = (openapiSpec().paths as Json)[template] as Json;
  const declared: Json[] = [];
  for (const p of (item.parameters as unknown[] | undefined) ?? []) declared.push(deref(p));
  for (const m of HTTP_METHODS) for (const p of (((item[m] as Json | undefined)?.parameters as unknown[]) ?? [])) declared.push(deref(p));
  for (const p of declared) {
    if (p.in !== 'path') continue;
    const value = params[p.name as string];
    if (value === undefined) continue;
    const v = compileSchema(`param:${template}:${String(p.name)}`, p.schema ?? {});
    if (!v(value)) return false;
  }
  return true;
}

function headerValue(headers: Headers, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (k.toLowerCase() !== want || v === undefined) continue;
    return Array.isArray(v) ? v.join(', ') : String(v);
  }
  return undefined;
}

function isEmptyBody(body: unknown): boolean {
  if (body === undefined || body === null || body === '') return true;
  if (Buffer.isBuffer(body)) return body.length === 0;
  if (typeof body === 'object' && !Array.isArray(body)) return Object.keys(body as Json).length === 0;
  return false;
}

function bodyText(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  return undefined;
}

/**
 * Throws unless the response (status, headers, body) is one openapi.yaml documents for
 * `method path`. `path` may be concrete (`/volumes/0123…?x`) or a template (`/volumes/{id}`);
 * `body` is the raw text (preferred: enables the trailing-newline checks), a Buffer, or an
 * already-parsed JSON value.
 */
export function assertMatchesSpec(method: string, path: string, status: number, headers: Headers, body: unknown): void {
  const spec = openapiSpec();
  const m = method.toLowerCase();
  const cleanPath = path.split('?')[0]!;
  const match = matchPath(cleanPath);
  const operation = match ? ((spec.paths as Json)[match.template] as Json)[m] as Json | undefined : undefined;
  const where = operation ? `${method.toUpperCase()} ${match!.template}` : `router fall-through for ${method.toUpperCase()} ${cleanPath}`;
  const responses = (operation ? operation.responses : spec['x-router-responses']) as Json;
  const errors: string[] = [];
  const fail = () => {
    const snippet = bodyText(body) ?? (body === undefined ? '' : JSON.stringify(body));
    throw new Error(
      `${method.toUpperCase()} ${path} → ${status} does not match openapi.yaml (${where}):\n` +
        errors.map((e) => `  - ${e}`).join('\n') +
        `\n  body: ${JSON.stringify(snippet.length > 500 ? snippet.slice(0, 500) + '…' : snippet)}`,
    );
  };

  const declared = responses[String(status)];
  if (!declared) {
    errors.push(`status ${status} not documented (documented: ${Object.keys(responses).join(', ')})`);
    fail();
  }
  const response = deref(declared);
  const key = operation ? `${m} ${match!.template} ${status}` : `router ${status}`;

  for (const [name, raw] of Object.entries((response.headers as Json | undefined) ?? {})) {
    const h = deref(raw);
    const value = headerValue(headers, name);
    if (value === undefined) {
      if (h.required) errors.push(`missing required header ${name}`);
      continue;
    }
    const schema = (h.schema ?? {}) as Json;
    const data: unknown = schema.type === 'integer' || schema.type === 'number' ? (/^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value) : value;
    const v = compileSchema(`${key} header ${name}`, schema);
    if (!v(data)) errors.push(`header ${name}: ${JSON.stringify(value)} ${load().ajv.errorsText(v.errors, { dataVar: name })}`);
  }

  const content = response.content as Json | undefined;
  if (!content) {
    if (!isEmptyBody(body)) errors.push('documented without a body, but the body is not empty');
    if (errors.length) fail();
    return;
  }

  const contentType = headerValue(headers, 'content-type');
  const media = contentType?.split(';')[0]!.trim().toLowerCase();
  const mediaKey = media
    ? Object.keys(content).find((k) => {
        const kk = k.toLowerCase();
        return kk === media || kk === '*/*' || (kk.endsWith('/*') && media.startsWith(kk.slice(0, -1)));
      })
    : undefined;
  if (!mediaKey) {
    errors.push(`Content-Type ${JSON.stringify(contentType)} not documented (documented: ${Object.keys(content).join(', ')})`);
    fail();
  }
  const schema = (content[mediaKey!] as Json).schema;
  const text = bodyText(body);

  if (media === 'application/json' || media!.endsWith('+json')) {
    let data: unknown = body;
    if (text !== undefined) {
      if (!text.endsWith('\n')) errors.push('JSON body does not end with a newline');
      try {
        data = JSON.parse(text);
      } catch (e) {
        errors.push(`body is not JSON: ${(e as Error).message}`);
        fail();
      }
    }
    if (schema) {
      const v = compileSchema(`${key} ${mediaKey}`, schema);
      if (!v(data)) errors.push(`body ${load().ajv.errorsText(v.errors, { dataVar: 'body', separator: '\n    ' })}`);
    }
  } else if (text !== undefined) {
    if (media === 'text/plain' && status >= 400 && !text.endsWith('\n')) errors.push('plain-text error body does not end with a newline');
    const resolved = schema ? deref(schema) : undefined;
    if (resolved && resolved.type === 'string' && resolved.format !== 'binary') {
      const v = compileSchema(`${key} ${mediaKey}`, schema);
      if (!v(text)) errors.push(`body ${load().ajv.errorsText(v.errors, { dataVar: 'body' })}`);
    }
  }
  if (errors.length) fail();
}

/**
 * `assertMatchesSpec` for a supertest response (method and path come from the request).
 * Returns the response, so it can wrap an await: `const res = expectSpec(await srv.get('/clusters'))`.
 */
export function expectSpec(res: supertest.Response): supertest.Response {
  const raw = (res as unknown as { req?: { method?: string; path?: string } }).req;
  const request = res.request as unknown as { method?: string; url?: string } | undefined;
  const method = raw?.method ?? request?.method;
  const path = raw?.path ?? (request?.url ? new URL(request.url, 'http://localhost').pathname : undefined);
  if (!method || !path) throw new Error('expectSpec: cannot tell the request method/path from this response');
  const body: unknown = typeof res.text === 'string' ? res.text : res.body;
  assertMatchesSpec(method, path, res.status, res.headers as Headers, body);
  return res;
}

/**
 * Compiles every schema of the spec (components, request bodies, response bodies, headers,
 * parameters). Returns the failures as `location: message` strings (empty when all compile).
 */
export function compileAllSchemas(): string[] {
  const spec = openapiSpec();
  const failures: string[] = [];
  const tryCompile = (where: string, schema: unknown) => {
    try {
      compileSchema(`all ${where}`, schema);
    } catch (e) {
      failures.push(`${where}: ${(e as Error).message}`);
    }
  };
  const components = spec.components as Json;
  for (const [name, s] of Object.entries((components.schemas as Json) ?? {})) tryCompile(`#/components/schemas/${name}`, s);
  for (const [name, h] of Object.entries((components.headers as Json) ?? {})) tryCompile(`#/components/headers/${name}`, (h as Json).schema ?? {});
  for (const [name, p] of Object.entries((components.parameters as Json) ?? {})) tryCompile(`#/components/parameters/${name}`, (p as Json).schema ?? {});
  const responseSchemas = (where: string, responses: Json) => {
    for (const [status, r] of Object.entries(responses)) {
      const resp = deref(r);
      for (const [media, c] of Object.entries((resp.content as Json | undefined) ?? {})) {
        if ((c as Json).schema) tryCompile(`${where} ${status} ${media}`, (c as Json).schema);
      }
    }
  };
  for (const { method, path, operation } of specOperations()) {
    const where = `${method} ${path}`;
    const body = operation.requestBody ? deref(operation.requestBody) : undefined;
    for (const [media, c] of Object.entries((body?.content as Json | undefined) ?? {})) {
      if ((c as Json).schema) tryCompile(`${where} request ${media}`, (c as Json).schema);
    }
    responseSchemas(where, operation.responses as Json);
  }
  responseSchemas('x-router-responses', spec['x-router-responses'] as Json);
  return failures;
}

/** Validates a request body against the operation's request schema; returns the error text or undefined. */
export function requestBodyErrors(method: string, path: string, body: unknown): string | undefined {
  const match = matchPath(path);
  const operation = match ? (((openapiSpec().paths as Json)[match.template] as Json)[method.toLowerCase()] as Json | undefined) : undefined;
  if (!operation) return `no operation ${method.toUpperCase()} ${path}`;
  const rb = operation.requestBody ? deref(operation.requestBody) : undefined;
  const schema = ((rb?.content as Json | undefined)?.['application/json'] as Json | undefined)?.schema;
  if (!schema) return `${method.toUpperCase()} ${match!.template} takes no JSON body`;
  const v = compileSchema(`request ${method.toLowerCase()} ${match!.template}`, schema);
  return v(body) ? undefined : load().ajv.errorsText(v.errors, { dataVar: 'body' });
}
