import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';

/**
 * docker-compose.yml cannot be run here (no Docker), so its shape is checked: the API scales behind a load
 * balancer (no fixed host port of its own), every service has a real health check (the projector and the worker
 * ask their own health endpoint, not only PostgreSQL), and every depends_on names a service that exists.
 */
const root = path.resolve(import.meta.dirname, '..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, any>;
};
const services = compose.services;

describe('docker-compose.yml', () => {
  test('the api has no host port (so --scale api=N works) and the load balancer is the only way in', () => {
    expect(services.api.ports).toBeUndefined();
    expect(services.api.expose).toEqual(['8080']);
    const published = Object.entries(services)
      .filter(([, s]) => s.ports?.length)
      .map(([name]) => name);
    expect(published).toContain('lb');
    expect(published).not.toContain('api');
    expect(services.lb.depends_on.api.condition).toBe('service_healthy');
  });

  test("the load balancer's config exists, is mounted, spreads over every api address and does not buffer streams", () => {
    const mount = (services.lb.volumes as string[]).find((v) => v.endsWith(':/etc/nginx/nginx.conf:ro'))!;
    const file = path.join(root, mount.split(':')[0]!);
    expect(existsSync(file)).toBe(true);
    const conf = readFileSync(file, 'utf8');
    expect(conf).toMatch(/server api:8080 resolve/);
    expect(conf).toMatch(/resolver 127\.0\.0\.11/);
    expect(conf).toMatch(/proxy_buffering off;/);
    expect(conf).toMatch(/proxy_pass http:\/\/api;/);
  });

  test('every service has a health check; api, projector and worker ask their own health endpoint', () => {
    for (const [name, service] of Object.entries(services)) {
      expect([name, Array.isArray(service.healthcheck?.test) && service.healthcheck.test.length > 1]).toEqual([name, true]);
    }
    for (const role of ['api', 'projector', 'worker']) {
      expect(services[role].healthcheck.test).toEqual(['CMD', 'node', 'services/cli/healthcheck.ts', role]);
    }
    for (const role of ['projector', 'worker']) {
      expect(services[role].environment.HEALTH_PORT).toMatch(/^\d+$/);
      expect(services[role].environment.DATABASE_URL).toBeDefined(); // the shared settings are merged in
    }
  });

  test('depends_on names existing services and waits for them to be healthy', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, condition] of Object.entries(service.depends_on ?? {})) {
        expect([name, dependency, dependency in services]).toEqual([name, dependency, true]);
        expect([name, dependency, (condition as { condition: string }).condition]).toEqual([name, dependency, 'service_healthy']);
      }
    }
  });
});
