import { assert } from '../lib/assert.ts';
import type { Definition, Task } from './definition/types.ts';

/**
 * A definition indexed for execution: every task by ref, and every sequence (the top level, a
 * branch, a case, a body, a compensation) by its owner's ref and a name. Frames in state point at
 * sequences by (owner, sequence), so a stored instance never holds a copy of its definition.
 */
export const ROOT_SEQUENCE = 'main';
export const COMPENSATION_SEQUENCE = 'compensation';

export class Plan {
  readonly version: number;
  readonly definition: Definition;
  private readonly tasks = new Map<string, Task>();
  private readonly sequences = new Map<string, readonly Task[]>();
  /** Refs of tasks that run as compensations (they are not themselves compensated). */
  private readonly compensationRefs = new Set<string>();

  constructor(definition: Definition, version: number) {
    this.definition = definition;
    this.version = version;
    this.addSequence(null, ROOT_SEQUENCE, definition.tasks, false);
  }

  task(ref: string): Task {
    const task = this.tasks.get(ref);
    assert(
      task !== undefined,
      `definition ${this.definition.name} v${this.version} has no task ${ref}`,
    );
    return task;
  }

  sequence(owner: string | null, name: string): readonly Task[] {
    const sequence = this.sequences.get(sequenceKey(owner, name));
    assert(
      sequence !== undefined,
      `definition ${this.definition.name} has no sequence ${owner ?? ''}:${name}`,
    );
    return sequence;
  }

  isCompensation(ref: string): boolean {
    return this.compensationRefs.has(ref);
  }

  /** Every task, nested ones and compensations included, in document order. */
  allTasks(): Task[] {
    return [...this.tasks.values()];
  }

  private addSequence(
    owner: string | null,
    name: string,
    tasks: readonly Task[],
    compensation: boolean,
  ): void {
    this.sequences.set(sequenceKey(owner, name), tasks);
    for (const task of tasks) this.addTask(task, compensation);
  }

  private addTask(task: Task, compensation: boolean): void {
    assert(!this.tasks.has(task.ref), `duplicate ref ${task.ref}`);
    this.tasks.set(task.ref, task);
    if (compensation) this.compensationRefs.add(task.ref);
    if (task.compensation !== undefined) {
      this.addSequence(task.ref, COMPENSATION_SEQUENCE, [task.compensation], true);
    }
    switch (task.type) {
      case 'parallel':
        task.branches.forEach((branch, i) => {
          this.addSequence(task.ref, `branch:${i}`, branch, compensation);
        });
        break;
      case 'foreach':
      case 'loop':
        this.addSequence(task.ref, 'body', task.body, compensation);
        break;
      case 'switch':
        task.cases.forEach((switchCase, i) => {
          this.addSequence(task.ref, `case:${i}`, switchCase.tasks, compensation);
        });
        this.addSequence(task.ref, 'default', task.default, compensation);
        break;
      case 'worker':
      case 'http':
      case 'subworkflow':
      case 'wait':
      case 'signal':
      case 'set':
      case 'transform':
      case 'terminate':
        break;
    }
  }
}

function sequenceKey(owner: string | null, name: string): string {
  return `${owner ?? ''}\u0000${name}`;
}
