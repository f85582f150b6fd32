/**
 * Resource group GET, and the operation status / result URLs of every long-running operation.
 */
import { ArmError } from '../http/errors.js';
import type { RouteDefinition } from '../http/router.js';
import { requireResourceGroup } from './common.js';

export const RESOURCE_GROUP_API_VERSIONS = ['2021-04-01', '2022-09-01', '2024-03-01', '2025-04-01'] as const;

export function resourceRoutes(): RouteDefinition[] {
  const operation = (segment: string): RouteDefinition => ({
    operation: 'operations.get',
    method: 'GET',
    pattern: `/subscriptions/{subscriptionId}/providers/{namespace}/locations/{location}/${segment}/{operationId}`,
    apiVersions: 'any',
    scope: () => undefined,
    handle: (req, p, ctx) => {
      const op = ctx.operations.get(p['operationId'] ?? '');
      const path = req.path;
      if (
        !op ||
        (path.toLowerCase() !== op.statusPath.toLowerCase() && path.toLowerCase() !== op.locationPath.toLowerCase())
      ) {
        throw new ArmError(404, 'OperationNotFound', `The operation '${p['operationId'] ?? ''}' was not found.`);
      }
      return ctx.operations.poll(op, path, req.baseUrl, req.apiVersion);
    },
  });
  return [
    {
      operation: 'resourceGroups.get',
      method: 'GET',
      pattern: '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}',
      apiVersions: RESOURCE_GROUP_API_VERSIONS,
      handle: (_req, p, ctx) => {
        const rg = requireResourceGroup(ctx, p['subscriptionId'] ?? '', p['resourceGroupName'] ?? '');
        return {
          status: 200,
          body: {
            id: rg.id,
            name: rg.name,
            type: 'Microsoft.Resources/resourceGroups',
            location: rg.location,
            tags: rg.tags,
            properties: { provisioningState: 'Succeeded' },
          },
        };
      },
    },
    operation('operations'),
    operation('operationResults'),
  ];
}
