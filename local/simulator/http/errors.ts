/**
 * ARM errors: every failure the simulator answers is `{ "error": { "code", "message", ... } }` (ARM common-types
 * ErrorResponse, reference §8) with the HTTP status ARM would use.
 */
import type { ArmErrorDetail } from '../../../shared/models/common.js';

export class ArmError extends Error {
  readonly status: number;
  readonly code: string;
  readonly target: string | undefined;
  readonly details: ArmErrorDetail[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { target?: string; details?: ArmErrorDetail[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ArmError';
    this.status = status;
    this.code = code;
    this.target = options.target;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  toBody(): { error: ArmErrorDetail } {
    return { error: this.toDetail() };
  }

  toDetail(): ArmErrorDetail {
    return {
      code: this.code,
      message: this.message,
      ...(this.target === undefined ? {} : { target: this.target }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

export const badRequest = (code: string, message: string, target?: string): ArmError =>
  new ArmError(400, code, message, target === undefined ? {} : { target });

export function invalidRequestContent(message: string): ArmError {
  return new ArmError(
    400,
    'InvalidRequestContent',
    `The request content was invalid and could not be deserialized: ${message}`,
  );
}

/** `typedPath` is the provider-relative path, for example `Microsoft.ContainerService/fleets/f1/members/m1`. */
export function resourceNotFound(typedPath: string, resourceGroup: string | undefined): ArmError {
  const where = resourceGroup === undefined ? '' : ` under resource group '${resourceGroup}'`;
  return new ArmError(
    404,
    'ResourceNotFound',
    `The Resource '${typedPath}'${where} was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

export function parentResourceNotFound(parentTypedName: string): ArmError {
  return new ArmError(
    404,
    'ParentResourceNotFound',
    `Can not perform requested operation on nested resource. Parent resource '${parentTypedName}' not found.`,
  );
}

export function resourceGroupNotFound(resourceGroup: string): ArmError {
  return new ArmError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`);
}

export function subscriptionNotFound(subscriptionId: string): ArmError {
  return new ArmError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
}

export function preconditionFailed(message: string): ArmError {
  return new ArmError(412, 'PreconditionFailed', message);
}

export function conflict(code: string, message: string): ArmError {
  return new ArmError(409, code, message);
}
