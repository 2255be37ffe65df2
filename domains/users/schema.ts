// The users domain's shared shapes: the schemas its endpoints validate against,
// and the row it returns. Plugins of this domain import this file; no other
// domain does.
import { Type } from 'typebox';

export const USER_SCHEMA = Type.Object({ id: Type.Integer(), name: Type.String(), email: Type.String(), created_at: Type.String() });

export const USER_FIELDS = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  email: Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', maxLength: 320 }),
};

/** The path parameter of /users/:id: a positive integer, so it arrives as a bigint. */
export const USER_ID = Type.Object({ id: Type.Integer({ minimum: 1 }) });

export const USER_COLUMNS = 'id, name, email, created_at';
