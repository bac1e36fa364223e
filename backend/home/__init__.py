"""The PWA shell: home page, language choice, offline page, service worker, health."""
