import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { plainIssue } from '../../src/study/plain-issues';
import { parseStudySpec } from '../../src/study/study';
import { PRESETS } from '../../src/study/presets';

const words = (schema: z.ZodType, value: unknown) => {
  const result = schema.safeParse(value);
  if (result.success) throw new Error('expected a refusal');
  return result.error.issues.map(plainIssue);
};

describe('schema issues in plain words', () => {
  it("says what a value must be, in the field's terms, without zod's wording", () => {
    expect(words(z.number().int(), 1.5)).toEqual(['must be a whole number']);
    expect(words(z.number(), 'x')).toEqual(['must be a number']);
    expect(words(z.object({ a: z.number() }), {})).toEqual(['is required']);
    expect(words(z.number().positive(), 0)).toEqual(['must be more than 0']);
    expect(words(z.number().min(4), 3)).toEqual(['must be at least 4']);
    expect(words(z.number().max(256), 300)).toEqual(['must be at most 256']);
    expect(words(z.number().lt(1), 1)).toEqual(['must be less than 1']);
    expect(words(z.string().min(1), '')).toEqual(['must not be empty']);
    expect(words(z.array(z.number()).min(2), [1])).toEqual(['must list at least 2 entries']);
    expect(words(z.enum(['a', 'b']), 'c')).toEqual(['must be one of “a”, “b”']);
    expect(words(z.literal(3), 2)).toEqual(['must be 3']);
    expect(words(z.strictObject({}), { x: 1, y: 2 })).toEqual(['unknown fields x, y']);
    expect(words(z.number().multipleOf(5), 3)).toEqual(['must be a multiple of 5']);
  });

  it("keeps a schema's own message", () => {
    expect(words(z.number().min(0, 'weight decay must be >= 0'), -1)).toEqual(['weight decay must be >= 0']);
  });

  it('leaves no zod wording in a refused study spec', () => {
    const bad = structuredClone(PRESETS.smoke) as unknown as { baseline: { training: Record<string, unknown>; model: Record<string, unknown> }; name: string };
    bad.baseline.training.epochs = 1.5;
    bad.baseline.model.width = 0;
    bad.name = '';
    let message = '';
    try {
      parseStudySpec(bad);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/baseline\.training\.epochs: must be a whole number/);
    expect(message).toMatch(/baseline\.model\.width: must be more than 0/);
    expect(message).toMatch(/name: must not be empty/);
    expect(message).not.toMatch(/Invalid input|Too small|expected int|received/);
  });
});
