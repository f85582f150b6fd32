import { describe, expect, it } from 'vitest';
import { createLogger, redact } from '../../../shared/log.js';

describe('structured logs', () => {
  it('writes one JSON line with a constant message, the fields and the child fields', () => {
    const lines: string[] = [];
    const logger = createLogger({ sink: (_l, line) => lines.push(line), now: () => new Date('2026-01-01T00:00:00Z') });
    logger.child({ mesh: 'demo' }).info('apply started', { operationId: 'demo.1', outcome: 'ok' });
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      {
        time: '2026-01-01T00:00:00.000Z',
        level: 'info',
        message: 'apply started',
        mesh: 'demo',
        operationId: 'demo.1',
        outcome: 'ok',
      },
    ]);
  });

  it('masks credentials by field name and keeps error codes readable', () => {
    expect(
      redact({
        token: 't',
        functionKey: 'k',
        key: 'k2',
        authorization: 'Bearer x',
        accessKey: 'a',
        code: 'PlanMismatch',
        keyCount: 2,
      }),
    ).toEqual({
      token: '[redacted]',
      functionKey: '[redacted]',
      key: '[redacted]',
      authorization: '[redacted]',
      accessKey: '[redacted]',
      code: 'PlanMismatch',
      keyCount: 2,
    });
  });

  it('drops lines under the minimum level and renders errors without their stack', () => {
    const lines: string[] = [];
    const logger = createLogger({ sink: (_l, line) => lines.push(line), minLevel: 'warn' });
    logger.info('quiet');
    logger.error('failed', { error: Object.assign(new Error('boom'), { code: 'E1' }) });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      level: 'error',
      error: { name: 'Error', message: 'boom', code: 'E1' },
    });
  });
});
