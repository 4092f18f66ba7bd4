/** Where a new task sits: its size, length and place in its chain, from its request and its parent task. */
import { EXTENSION_SECONDS } from '../chain/contract';
import type { ExtendRequest, GenerateRequest } from '../chain/requests';
import { probeAspectRatio } from './image-probe';
import type { ResolvedSimulatorOptions } from './options';
import { type SimTask, type TaskShape, isExpired, taskState } from './task';

/** A create the provider refuses, with its code and message. */
export interface Refusal {
  code: number;
  msg: string;
}

/** Size, length and place in the chain of the task a create would start, or the refusal. */
export async function shapeOfTask(
  endpoint: 'generate' | 'extend',
  account: string,
  request: GenerateRequest & ExtendRequest,
  taskById: (taskId: string) => SimTask | undefined,
  now: number,
  opts: ResolvedSimulatorOptions,
): Promise<TaskShape | Refusal> {
  if (endpoint === 'generate') {
    let aspectRatio = request.aspectRatio ?? '16:9';
    if (request.imageUrl) {
      const probed = await probeAspectRatio(request.imageUrl);
      if (!probed.ok) return { code: 451, msg: `Failed to fetch the image: ${probed.reason}` };
      aspectRatio = probed.aspectRatio;
    }
    return {
      parentTaskId: '',
      chainKey: '',
      segment: 1,
      aspectRatio,
      seconds: request.duration,
      timelineStart: 0,
    };
  }
  const parent = taskById(request.taskId);
  if (!parent || parent.account !== account) return { code: 404, msg: `Task ${request.taskId} not found` };
  const parentState = taskState(parent, now, opts);
  if (parentState !== 'success') {
    return {
      code: 422,
      msg: `Task ${parent.taskId} cannot be extended: it is ${parentState}, not success`,
    };
  }
  if (isExpired(parent, now, opts))
    return { code: 422, msg: `Task ${parent.taskId} has expired and cannot be extended` };
  return {
    parentTaskId: parent.taskId,
    chainKey: parent.chainKey,
    segment: parent.segment + 1,
    aspectRatio: parent.aspectRatio,
    seconds: EXTENSION_SECONDS,
    timelineStart: parent.timelineStart + parent.seconds,
  };
}
