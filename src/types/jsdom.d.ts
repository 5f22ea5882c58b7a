// jsdom's published types (@types/jsdom) pull in the whole DOM lib, which changes the types of
// Node's own fetch for the rest of the project; these few declarations cover what we use.
declare module 'jsdom' {
  export class VirtualConsole {}
  export interface JSDOMOptions {
    url?: string;
    virtualConsole?: VirtualConsole;
  }
  export class JSDOM {
    constructor(html?: string, options?: JSDOMOptions);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly window: any;
  }
}
