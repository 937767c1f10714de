/** Not built yet: see the package README. */
export {};
