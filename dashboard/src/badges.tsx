// The badges every screen uses: a status and a hosting, each in one colour per value.
import { Badge } from '@mantine/core';
import { HOSTING_COLORS, HOSTING_LABEL, LANGUAGE_LABEL, STATUS_COLORS } from './model.ts';

export function StatusBadge({ status, name }: { status: string; name?: string }) {
  return (
    <Badge color={STATUS_COLORS[status] ?? 'gray'} variant={status === 'ready' ? 'light' : 'filled'} data-testid={name ? `status-${name}` : undefined} data-status={status}>
      {status}
    </Badge>
  );
}

/** A hosting, with the language when the kernel says it (`sidecar · Go`). */
export function HostingBadge({ hosting, language = '' }: { hosting: string; language?: string }) {
  const label = LANGUAGE_LABEL[language] && hosting !== 'native' ? `${hosting} · ${LANGUAGE_LABEL[language]}` : (HOSTING_LABEL[hosting] ?? hosting);
  return (
    <Badge color={HOSTING_COLORS[hosting] ?? 'gray'} variant="outline" data-hosting={hosting} data-language={language}>
      {label}
    </Badge>
  );
}

export function OkBadge({ ok, code }: { ok: boolean; code: string }) {
  return ok ? <Badge color="green" variant="light">ok</Badge> : <Badge color="red">{code || 'failed'}</Badge>;
}
