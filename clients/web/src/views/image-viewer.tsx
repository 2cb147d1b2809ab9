import { useEffect, useRef } from 'preact/hooks';

export interface ViewedImage {
  url: string;
  name: string;
}

/** An image at full size in a modal dialog (Escape, the button or a click outside closes it). */
export function ImageViewer({ image, onClose }: { image: ViewedImage; onClose(): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current!;
    dialog.showModal();
    return () => dialog.close();
  }, []);
  return (
    <dialog
      ref={ref}
      class="image-viewer"
      aria-label={image.name}
      onClose={onClose}
      onClick={(e) => e.target === ref.current && ref.current?.close()}
    >
      <img src={image.url} alt={image.name} />
      <div class="viewer-bar">
        <span>{image.name}</span>
        <a href={image.url} target="_blank" rel="noopener">
          Open original
        </a>
        <button type="button" onClick={() => ref.current?.close()}>
          Close
        </button>
      </div>
    </dialog>
  );
}
