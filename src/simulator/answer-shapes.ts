/**
 * A task's record-detail and callback in its answer shape (`task.ts`, `AnswerShape`). The shapes are the
 * ones a tolerant reader must survive (shared/runway-api.md, "What is guaranteed, and what may be
 * missing"): the reference's every field, the docs page's few keys, nulls everywhere, strings for numbers.
 */
import {
  type CallbackWire,
  type SimTask,
  type StateTimes,
  type TaskDetailWire,
  isExpired,
  taskState,
  taskUrls,
} from './task';

/** The envelope's `msg` of a record-detail answer: a `nulls` task sends `null` there too. */
export function detailMsg(task: SimTask): string | null {
  return task.answerShape === 'nulls' ? null : 'success';
}

export function describeTask(
  task: SimTask,
  now: number,
  times: StateTimes,
  publicUrl: string,
): TaskDetailWire {
  const state = taskState(task, now, times);
  const failed = task.outcome.state === 'fail' && state === 'fail' ? task.outcome : undefined;
  const generateTime = task.finishedAt === undefined ? undefined : formatGenerateTime(task.finishedAt);
  const expireFlag = isExpired(task, now, times) ? 1 : 0;
  const urls = state === 'success' ? taskUrls(task, publicUrl) : undefined;
  const videoId = `v-${task.taskId}`;

  switch (task.answerShape) {
    case 'docs':
      // Exactly the docs page's example keys; a failure (no example there) adds the reference's failMsg.
      return {
        taskId: task.taskId,
        state,
        ...(generateTime ? { generateTime } : {}),
        ...(urls ? { videoInfo: { videoId, ...urls } } : {}),
        ...(failed ? { failMsg: failed.failMsg } : {}),
        expireFlag,
      };
    case 'nulls':
      // One rule for generateParam: a generation keeps its prompt with null fields, an extension sends null.
      return {
        taskId: task.taskId,
        parentTaskId: null,
        generateParam:
          task.endpoint === 'generate' ? { prompt: task.prompt, imageUrl: null, expandPrompt: null } : null,
        state,
        generateTime: generateTime ?? null,
        videoInfo: urls ? { videoId: null, taskId: null, videoUrl: urls.videoUrl, imageUrl: null } : null,
        failCode: null,
        failMsg: null,
        expireFlag: null,
      };
    case 'full':
    case 'strings': {
      const strings = task.answerShape === 'strings';
      return {
        taskId: task.taskId,
        parentTaskId: task.parentTaskId,
        generateParam: {
          prompt: task.prompt,
          imageUrl: task.imageUrl,
          expandPrompt: strings ? 'false' : false,
        },
        state,
        generateTime: generateTime ?? null,
        videoInfo: urls ? { videoId, taskId: task.taskId, ...urls } : null,
        failCode: failed ? (strings ? String(failed.failCode) : failed.failCode) : null,
        failMsg: failed?.failMsg ?? null,
        expireFlag,
      };
    }
  }
}

export function callbackOf(task: SimTask, publicUrl: string): CallbackWire {
  const nulls = task.answerShape === 'nulls';
  if (task.outcome.state === 'fail') {
    const code = task.outcome.failCode === 400 ? 400 : 500;
    const msg = task.outcome.failMsg;
    if (nulls) return task.nullCallbackData ? { code, msg, data: null } : { code, msg };
    return { code, msg, data: { task_id: task.taskId, video_id: '', video_url: '', image_url: '' } };
  }
  const { videoUrl, imageUrl } = taskUrls(task, publicUrl);
  return {
    code: 200,
    msg: 'All generated successfully.',
    data: {
      task_id: task.taskId,
      video_id: nulls ? null : `v-${task.taskId}`,
      video_url: videoUrl,
      image_url: nulls ? null : imageUrl,
    },
  };
}

/** `YYYY-MM-DD HH:mm:ss`, UTC: the contract does not say which zone the provider uses. */
function formatGenerateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}
