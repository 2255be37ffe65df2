// The users domain's shared shapes: the JSON schemas its endpoints validate
// against, and the row it returns. Plugins of this domain import this file;
// no other domain does.
export const USER_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    email: { type: 'string' },
    created_at: { type: 'string' },
  },
  required: ['id', 'name', 'email', 'created_at'],
} as const;

export const USER_FIELDS = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  email: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+$', maxLength: 320 },
} as const;

export const USER_COLUMNS = 'id, name, email, created_at';
