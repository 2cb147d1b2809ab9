import { useEffect } from 'preact/hooks';
import type { AppModel } from '../model.js';

/** The last error, announced to screen readers, gone after a while or when dismissed. */
export function Notice({ model }: { model: AppModel }) {
  const notice = model.notice;
  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => model.dismissNotice(notice.id), 8_000);
    return () => clearTimeout(timer);
  }, [notice?.id]);
  return (
    <div class="toast-region" role="status" aria-live="polite">
      {notice && (
        <div class="toast">
          <span>{notice.text}</span>
          <button type="button" class="icon" aria-label="Dismiss" onClick={() => model.dismissNotice(notice.id)}>
            ×
          </button>
        </div>
      )}
    </div>
  );
}
