/**
 * A schema issue in plain words ("must be a whole number", not zod's
 * "Invalid input: expected int, received number"), for the designer's fields
 * and for every refused config or spec. Messages the schemas wrote themselves
 * are kept as they are. Pure: no DOM.
 */
import type { z } from 'zod';

/** zod's own default messages start so; a schema's custom message is left alone. */
const ZOD_DEFAULT = /^(Invalid|Too (small|big)|Unrecognized)/;

const TYPES: Record<string, string> = {
  int: 'a whole number',
  number: 'a number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'a group of fields',
  bigint: 'a whole number',
};

const show = (value: unknown) => (typeof value === 'string' ? `“${value}”` : String(value));

export function plainIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type': {
      // zod leaves the input out of its issues; its message still says what it received.
      if (/received undefined$/.test(issue.message)) return 'is required';
      const wanted = TYPES[issue.expected];
      return wanted ? `must be ${wanted}` : 'is not allowed here';
    }
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string') return min <= 1 ? 'must not be empty' : `must have at least ${min} characters`;
      if (issue.origin === 'array' || issue.origin === 'set') return `must list at least ${min} ${min === 1 ? 'entry' : 'entries'}`;
      return issue.inclusive === false ? `must be more than ${min}` : `must be at least ${min}`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'string') return `must have at most ${max} characters`;
      if (issue.origin === 'array' || issue.origin === 'set') return `must list at most ${max} ${max === 1 ? 'entry' : 'entries'}`;
      return issue.inclusive === false ? `must be less than ${max}` : `must be at most ${max}`;
    }
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${show(issue.values[0])}` : `must be one of ${issue.values.map(show).join(', ')}`;
    case 'invalid_union':
      return 'is none of the forms allowed here (check its "kind")';
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_format':
      return `is not a valid ${issue.format}`;
    default:
      return issue.message;
  }
}
