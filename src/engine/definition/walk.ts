import type { Definition, Task } from './types.ts';

/** Where a task sits: its path in the document and the task that contains it, if any. */
export interface TaskLocation {
  readonly task: Task;
  /** `tasks[1].branches[0][2]`, `tasks[0].compensation` … */
  readonly path: string;
  /** The ref of the composite task (or the compensated task) that holds it; undefined at top level. */
  readonly parentRef: string | undefined;
  /** True inside a compensation (at any depth). */
  readonly inCompensation: boolean;
}

/** The task lists directly inside a task, with their path suffixes (compensation excluded). */
export function childTaskLists(
  task: Task,
): Array<{ readonly suffix: string; readonly tasks: readonly Task[] }> {
  switch (task.type) {
    case 'parallel':
      return task.branches.map((tasks, i) => ({ suffix: `.branches[${i}]`, tasks }));
    case 'foreach':
    case 'loop':
      return [{ suffix: '.body', tasks: task.body }];
    case 'switch':
      return [
        ...task.cases.map((entry, i) => ({ suffix: `.cases[${i}].tasks`, tasks: entry.tasks })),
        { suffix: '.default', tasks: task.default },
      ];
    case 'worker':
    case 'http':
    case 'subworkflow':
    case 'wait':
    case 'signal':
    case 'set':
    case 'transform':
    case 'terminate':
      return [];
  }
}

/** Every task of the definition in document order (a task, its nested tasks, its compensation). */
export function listTasks(definition: Definition): TaskLocation[] {
  const result: TaskLocation[] = [];
  const visit = (
    tasks: readonly Task[],
    path: string,
    parentRef: string | undefined,
    inCompensation: boolean,
  ): void => {
    tasks.forEach((task, i) => {
      const taskPath = `${path}[${i}]`;
      result.push({ task, path: taskPath, parentRef, inCompensation });
      for (const list of childTaskLists(task))
        visit(list.tasks, `${taskPath}${list.suffix}`, task.ref, inCompensation);
      if (task.compensation !== undefined) {
        const compensationPath = `${taskPath}.compensation`;
        result.push({
          task: task.compensation,
          path: compensationPath,
          parentRef: task.ref,
          inCompensation: true,
        });
        for (const list of childTaskLists(task.compensation)) {
          visit(list.tasks, `${compensationPath}${list.suffix}`, task.compensation.ref, true);
        }
      }
    });
  };
  visit(definition.tasks, 'tasks', undefined, false);
  return result;
}

/** Tasks by ref (refs are unique across a validated definition). */
export function indexTasks(definition: Definition): ReadonlyMap<string, TaskLocation> {
  const index = new Map<string, TaskLocation>();
  for (const location of listTasks(definition)) index.set(location.task.ref, location);
  return index;
}
