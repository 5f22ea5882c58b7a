import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

// No Docker engine runs here, so the compose file is checked by parsing it: a typo or a lost
// setting fails CI instead of a newcomer's `docker compose up`.
describe('docker-compose.yml', () => {
  const root = path.join(__dirname, '..');
  const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true });

  test('has redis (AOF, noeviction, a volume), mailpit, api and a scalable worker', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'mailpit', 'redis', 'worker']);
    const redisCmd = compose.services.redis.command.join(' ');
    expect(redisCmd).toContain('--appendonly yes');
    expect(redisCmd).toContain('--maxmemory-policy noeviction');
    expect(compose.services.redis.volumes[0]).toMatch(/^redis-data:\/data$/);
    expect(compose.volumes).toHaveProperty('redis-data');
    // a fixed container_name or host port on the worker would make --scale worker=N fail
    expect(compose.services.worker.container_name).toBeUndefined();
    expect(compose.services.worker.ports).toBeUndefined();
  });

  test('api and worker get every required production variable and run the built entry points', () => {
    for (const name of ['api', 'worker']) {
      const env = compose.services[name].environment;
      for (const v of ['NODE_ENV', 'REDIS_URL', 'SMTP_URL', 'MAIL_FROM', 'PUBLIC_URL', 'PUBLISHER_TOKEN', 'SECRET_KEY']) expect(env).toHaveProperty(v);
      expect(compose.services[name].build).toBe('.');
    }
    expect(compose.services.api.command).toEqual(['node', 'dist/src/main.js', '--only=api']);
    expect(compose.services.worker.command).toEqual(['node', 'dist/workers/index.js']);
  });

  test('no secret has a default: each one must be set, or compose stops naming it', () => {
    const text = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
    const secrets = ['PUBLISHER_TOKEN', 'SECRET_KEY', 'METRICS_TOKEN'];
    for (const name of ['api', 'worker']) {
      const env = compose.services[name].environment as Record<string, string>;
      for (const [key, value] of Object.entries(env)) {
        if (/TOKEN|SECRET|KEY|PASSWORD/.test(key)) expect([key, value]).toEqual([key, expect.stringMatching(new RegExp(`^\\$\\{${key}:\\?[^}]+\\}$`))]);
      }
      for (const s of secrets) expect(env).toHaveProperty(s);
    }
    // no ${VAR:-default} or ${VAR-default} anywhere for a secret
    expect(text).not.toMatch(/\$\{(PUBLISHER_TOKEN|SECRET_KEY|METRICS_TOKEN)[:]?-/);
  });

  test('the Dockerfile builds the same entry points the compose file runs', () => {
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('RUN npm run build');
    for (const dir of ['src', 'workers', 'templates']) {
      expect(dockerfile).toContain(`COPY ${dir} ./${dir}`);
      expect(fs.existsSync(path.join(root, dir))).toBe(true);
    }
  });
});
