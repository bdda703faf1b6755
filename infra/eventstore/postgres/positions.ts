/** A PostgreSQL log position: "<transaction id>-<global position>", both zero-padded so strings sort in log order. */
export function formatPosition(transactionId: string | bigint, globalPosition: string | bigint): string {
  return `${String(transactionId).padStart(20, '0')}-${String(globalPosition).padStart(20, '0')}`;
}

export function parsePosition(position: string): { transactionId: string; globalPosition: string } {
  if (position === '') return { transactionId: '0', globalPosition: '0' };
  const match = /^(\d{1,20})-(\d{1,20})$/.exec(position);
  if (!match) throw new RangeError(`not a PostgreSQL event log position: ${position}`);
  return { transactionId: BigInt(match[1]!).toString(), globalPosition: BigInt(match[2]!).toString() };
}
