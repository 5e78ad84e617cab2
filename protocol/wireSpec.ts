// How a method of the wire is declared: its name next to the zod schemas of its params and
// result, so both ends validate with the same source and the TS types come from it.
import type { z } from 'zod';

/** A request: method name, params schema, result schema. */
export interface RequestSpec<P extends z.ZodType, R extends z.ZodType> {
  readonly kind: 'request';
  readonly method: string;
  readonly params: P;
  readonly result: R;
}
export interface NotificationSpec<P extends z.ZodType> {
  readonly kind: 'notification';
  readonly method: string;
  readonly params: P;
}
export function request<P extends z.ZodType, R extends z.ZodType>(
  method: string,
  params: P,
  result: R,
): RequestSpec<P, R> {
  return { kind: 'request', method, params, result };
}
export function notification<P extends z.ZodType>(method: string, params: P): NotificationSpec<P> {
  return { kind: 'notification', method, params };
}
export type ParamsOf<S extends { params: z.ZodType }> = z.infer<S['params']>;
export type ResultOf<S extends RequestSpec<z.ZodType, z.ZodType>> = z.infer<S['result']>;
