/** The name of the principal the app runs as in the built-in scenarios. */
export const APP_PRINCIPAL = 'fleetmesh';
/** A user with Owner on the subscription, for setting things up and breaking them in tests. */
export const OPERATOR_PRINCIPAL = 'operator';
