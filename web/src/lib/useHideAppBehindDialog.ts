import { useLayoutEffect } from 'react';

let openDialogs = 0;

/**
 * While a dialog is open, hides the page behind it (#root; Mantine portals dialogs, dropdowns
 * and notifications outside it) from assistive technology, as `aria-modal` intends. Without
 * this, a filter labelled "Customer" on the page and the dialog's own "Customer" field are
 * announced (and found by accessibility queries) together.
 */
export function useHideAppBehindDialog(opened: boolean): void {
  // A layout effect: the page is hidden in the same commit that shows the dialog.
  useLayoutEffect(() => {
    const root = document.getElementById('root');
    if (!opened || !root) return;
    openDialogs += 1;
    root.setAttribute('aria-hidden', 'true');
    return () => {
      openDialogs -= 1;
      if (openDialogs === 0) root.removeAttribute('aria-hidden');
    };
  }, [opened]);
}
