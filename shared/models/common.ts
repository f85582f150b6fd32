import { z } from 'zod';

/** ARM common-types ErrorDetail (recursive). */
export interface ArmErrorDetail {
  code?: string | undefined;
  message?: string | undefined;
  target?: string | undefined;
  details?: ArmErrorDetail[] | undefined;
  additionalInfo?: { type?: string | undefined; info?: unknown }[] | undefined;
}

export const ArmErrorDetailSchema: z.ZodType<ArmErrorDetail> = z.object({
  code: z.string().optional(),
  message: z.string().optional(),
  target: z.string().optional(),
  get details() {
    return z.array(ArmErrorDetailSchema).optional();
  },
  additionalInfo: z.array(z.object({ type: z.string().optional(), info: z.unknown() })).optional(),
});

/** `{ id }` sub-resource reference. */
export const SubResourceSchema = z.object({ id: z.string() });
export type SubResource = z.output<typeof SubResourceSchema>;

/** Arrays and maps that ARM may omit or send as null become empty. */
export const stringMap = z
  .record(z.string(), z.string())
  .nullish()
  .transform((v) => v ?? {});
