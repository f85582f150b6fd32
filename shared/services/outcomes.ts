/**
 * Outcome events: CloudEvents 1.0 (`fleetmesh.plan.created`, `fleetmesh.apply.succeeded`, `fleetmesh.apply.failed`,
 * `fleetmesh.member.remediated`) published with `@azure/eventgrid` to the topic in FLEETMESH_OUTCOME_TOPIC_ENDPOINT,
 * authenticated with Entra ID (the app identity holds EventGrid Data Sender on that topic). Without a topic nothing is
 * published. Event ids come from the orchestration, so a retried publish repeats the same id (consumers dedupe on
 * `source` + `id`, as the CloudEvents spec says).
 */
import { EventGridPublisherClient, type EventGridPublisherClientOptions } from '@azure/eventgrid';
import type { TokenCredential } from '@azure/core-auth';
import type { Logger } from '../log.js';
import type { OutcomeEvent } from '../../orchestrations/contracts.js';

export interface OutcomePublisher {
  readonly enabled: boolean;
  publish(event: OutcomeEvent): Promise<void>;
}

export function createOutcomePublisher(options: {
  readonly endpoint: string | undefined;
  readonly credential: TokenCredential;
  /** CloudEvents `source`: the fleet's resource id. */
  readonly source: string;
  readonly logger: Logger;
  /** Client options (tests pass `tlsOptions` to trust a local receiver). */
  readonly clientOptions?: EventGridPublisherClientOptions;
}): OutcomePublisher {
  if (!options.endpoint) {
    return {
      enabled: false,
      publish: (event) => {
        options.logger.debug('outcome event not published: no topic configured', { type: event.type, id: event.id });
        return Promise.resolve();
      },
    };
  }
  const client = new EventGridPublisherClient(
    options.endpoint,
    'CloudEvent',
    options.credential,
    options.clientOptions,
  );
  return {
    enabled: true,
    async publish(event) {
      await client.send([
        {
          type: event.type,
          source: options.source,
          id: event.id,
          time: new Date(event.time),
          subject: event.subject,
          datacontenttype: 'application/json',
          data: event.data,
        },
      ]);
      options.logger.info('outcome event published', { type: event.type, id: event.id, subject: event.subject });
    },
  };
}
