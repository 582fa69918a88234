import { routeFor } from '../route.ts';
import { COMPAT } from './envelope.ts';

/** `route()` for the v2 (original FileIntel) contract: its envelope and its OpenAPI prefix. */
export const v2Route = routeFor(COMPAT);
