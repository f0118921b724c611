// Compiled by got-idl.test.js next to the generated grade.ts and campus.ts (tsc --noEmit).
import { Dataframe } from 'fluxion';
import { grade, types, mergeFn, handle_conflicts } from './grade';
import { Student, Counter, types as campusTypes, mergeFn as campusMerge } from './campus';

const df = new Dataframe('grades', types, { mergeFn });
df.addOne(grade, { student_id: 1, points: 90, passed: true });
const g: grade | null = df.readOne(grade, 1);
const points: number | bigint | null | undefined = g?.points;
const merged: grade | null = handle_conflicts(null, g, g);
void points;
void merged;
// @ts-expect-error the key is an int
df.addOne(grade, { student_id: 'one', points: 1 });
// @ts-expect-error passed is a bool
df.addOne(grade, { student_id: 2, passed: 'yes' });

const campus = new Dataframe('campus', campusTypes, { mergeFn: campusMerge });
campus.addOne(Student, { student_id: 's1', name: 'Ada', gpa: 3.9, photo: new Uint8Array([1]), courses: [], extra: {} });
const c = campus.readOne(Counter, 'visits');
const n: number | bigint | null | undefined = c?.count;
void n;
// @ts-expect-error gpa is a float
campus.addOne(Student, { student_id: 's2', gpa: 'high' });
