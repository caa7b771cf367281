/** A molar outline, the same drawing as the favicon. */
export function BrandMark() {
  return (
    <svg className="brand-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <path
        d="M9 7c-3 0-4.5 3-4 6.5.4 3 2 5 2.6 8.4.5 3 1.4 4.1 2.6 4.1 1.6 0 1.8-2.4 2.3-4.6.4-1.7 1.2-2.6 3.5-2.6s3.1.9 3.5 2.6c.5 2.2.7 4.6 2.3 4.6 1.2 0 2.1-1.1 2.6-4.1.6-3.4 2.2-5.4 2.6-8.4C27.5 10 26 7 23 7c-2.6 0-4 1.5-7 1.5S11.6 7 9 7z"
        fill="currentColor"
      />
    </svg>
  );
}
