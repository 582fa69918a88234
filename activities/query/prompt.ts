import { pagesOf, type AnswerFormat, type PassageRef } from '../../workflows/query-contract.ts';

/** A passage with its text, as the answer is written from it. */
export interface Passage extends PassageRef {
  text: string;
}

/** What each of the original's answer formats asks of the chat model. */
const FORMAT_INSTRUCTIONS: Record<AnswerFormat, string> = {
  default: 'Answer in clear prose.',
  single_paragraph: 'Answer in one concise paragraph.',
  table: 'Answer as a Markdown table, with the citations in a column.',
  list: 'Answer as a bulleted list.',
  json: 'Answer as one JSON object with the keys "answer" (string) and "citations" (array of passage numbers).',
  essay: 'Answer as a structured essay of several paragraphs.',
  markdown: 'Answer in Markdown, with headings where they help.',
};

/** "[2] report.pdf, pp. 3–4 (Install > Network)": how a passage is named to the model and in an extractive answer. */
export function passageHeading(passage: PassageRef, number: number): string {
  const pages = pagesOf(passage);
  const where = pages ? `${passage.documentName}, ${pages}` : passage.documentName;
  const section = passage.headingPath && passage.headingPath.length > 0 ? ` (${passage.headingPath.join(' > ')})` : '';
  return `[${number}] ${where}${section}`;
}

/**
 * The passages' text within `budget` characters, best first: each passage
 * gets what is left, so the best ones are whole and the last may be cut.
 */
export function fitToBudget(passages: Passage[], budget: number): Passage[] {
  const fitted: Passage[] = [];
  let left = budget;
  for (const passage of passages) {
    if (left <= 0) break;
    const text = passage.text.length > left ? `${passage.text.slice(0, left)}…` : passage.text;
    fitted.push({ ...passage, text });
    left -= text.length;
  }
  return fitted;
}

/** The chat request: answer from the numbered passages only, cite them by number. */
export function chatMessages(question: string, passages: Passage[], format: AnswerFormat) {
  const context = passages.map((passage, i) => `${passageHeading(passage, i + 1)}\n${passage.text}`).join('\n\n');
  return [
    {
      role: 'system',
      content:
        'You answer questions about a collection of documents using only the numbered passages given. ' +
        'Cite the passages each statement rests on by their numbers in square brackets, such as [1] or [2][3]. ' +
        'If the passages do not hold the answer, say so plainly instead of guessing. ' +
        FORMAT_INSTRUCTIONS[format],
    },
    { role: 'user', content: `Question: ${question}\n\nPassages:\n\n${context}` },
  ];
}

/** The answer without a chat model: the passages themselves, best first, labelled as such. */
export function extractiveAnswer(passages: Passage[]): string {
  const body = passages.map((passage, i) => `${passageHeading(passage, i + 1)}\n${passage.text.trim()}`).join('\n\n');
  return `Extractive answer (no language model is configured): the passages that best match the question, best first.\n\n${body}`;
}
