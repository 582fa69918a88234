import { Router } from 'express';
import { describeTask } from '../analysis/task-status.ts';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { route } from '../route.ts';
import { TaskRef, TaskStatus } from '../schemas/analysis.ts';

export function taskStatusRoutes(deps: ApiDeps): Router {
  const router = Router();
  route(
    router,
    {
      method: 'get',
      path: '/tasks/:id/status',
      summary: 'Status of a task (workflow id): RUNNING with live progress, or the outcome with its result or error',
      tags: ['tasks'],
      params: TaskRef,
      data: TaskStatus,
      errors: [404],
    },
    async ({ params }) => {
      const status = await describeTask(deps.temporal, params.id);
      if (!status) throw notFound('task', params.id);
      return status;
    },
  );
  return router;
}
