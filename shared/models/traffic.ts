/**
 * Traffic Manager profiles and endpoints in the shape `@azure/arm-trafficmanager` 6.1 (api-version 2022-04-01)
 * returns. Reference §7. Traffic Manager resources carry no ETag in this api-version.
 */
import { z } from 'zod';

export const EndpointTypes = ['AzureEndpoints', 'ExternalEndpoints', 'NestedEndpoints'] as const;
export type EndpointType = (typeof EndpointTypes)[number];
export const AzureEndpointResourceType = 'Microsoft.Network/trafficManagerProfiles/azureEndpoints';

export const EndpointStatuses = ['Enabled', 'Disabled'] as const;
export type EndpointStatus = (typeof EndpointStatuses)[number];

/** `endpointMonitorStatus` values; `Unmonitored` since 2022-04-01. */
export const KnownEndpointMonitorStatuses = [
  'CheckingEndpoint',
  'Online',
  'Degraded',
  'Disabled',
  'Inactive',
  'Stopped',
  'Unmonitored',
] as const;

export const TrafficManagerEndpointSchema = z.object({
  id: z.string().optional(),
  name: z.string().optional(),
  /** `Microsoft.Network/trafficManagerProfiles/azureEndpoints|externalEndpoints|nestedEndpoints` */
  type: z.string().optional(),
  targetResourceId: z.string().optional(),
  target: z.string().optional(),
  endpointStatus: z.enum(EndpointStatuses).optional(),
  weight: z.int().min(1).max(1000).optional(),
  priority: z.int().min(1).max(1000).optional(),
  endpointLocation: z.string().optional(),
  /** Null in the profile's list response; read the endpoint itself for it. */
  endpointMonitorStatus: z
    .string()
    .nullish()
    .transform((v) => v ?? undefined)
    .optional(),
  alwaysServe: z.string().optional(),
  customHeaders: z.array(z.object({ name: z.string().optional(), value: z.string().optional() })).optional(),
});
export type TrafficManagerEndpoint = z.output<typeof TrafficManagerEndpointSchema>;

export const TrafficRoutingMethods = [
  'Performance',
  'Priority',
  'Weighted',
  'Geographic',
  'MultiValue',
  'Subnet',
] as const;

export const MonitorConfigSchema = z.object({
  profileMonitorStatus: z.string().optional(),
  protocol: z.string().optional(),
  port: z.number().optional(),
  path: z.string().optional(),
  intervalInSeconds: z.number().optional(),
  timeoutInSeconds: z.number().optional(),
  toleratedNumberOfFailures: z.number().optional(),
  customHeaders: z.array(z.object({ name: z.string().optional(), value: z.string().optional() })).optional(),
  expectedStatusCodeRanges: z.array(z.object({ min: z.number().optional(), max: z.number().optional() })).optional(),
});
export type MonitorConfig = z.output<typeof MonitorConfigSchema>;

export const TrafficManagerProfileSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string().optional(),
  location: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  profileStatus: z.string().optional(),
  trafficRoutingMethod: z.string().optional(),
  dnsConfig: z
    .object({ relativeName: z.string().optional(), fqdn: z.string().optional(), ttl: z.number().optional() })
    .optional(),
  monitorConfig: MonitorConfigSchema.optional(),
  endpoints: z.array(TrafficManagerEndpointSchema).optional(),
  trafficViewEnrollmentStatus: z.string().optional(),
  allowedEndpointRecordTypes: z.array(z.string()).optional(),
  maxReturn: z.number().optional(),
});
export type TrafficManagerProfile = z.output<typeof TrafficManagerProfileSchema>;
