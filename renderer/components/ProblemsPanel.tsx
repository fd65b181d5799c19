import { describeProblem, type SourceProblem } from '../../shared/inventory';

/** Sources (or files in them) that could not be read: the rest of the inventory still shows. */
export function ProblemsPanel({ problems }: { readonly problems: readonly SourceProblem[] }) {
  if (problems.length === 0) return null;
  return (
    <section className="warning-box" aria-label="Source problems" data-testid="source-problems">
      <strong>
        {problems.length === 1 ? 'A source has a problem' : `${problems.length} source problems`}
      </strong>
      <ul>
        {problems.map((problem, index) => (
          <li key={`${problem.sourceId}:${problem.path}:${index}`}>{describeProblem(problem)}</li>
        ))}
      </ul>
    </section>
  );
}
