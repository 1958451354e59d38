// Minimal typings for the parts of pngjs 7 (https://github.com/lukeapage/pngjs)
// used by src/io/image.ts; the package ships no types (@types/pngjs would replace this).
declare module 'pngjs' {
  interface PngImage {
    width: number;
    height: number;
    /** RGBA, 8 bits per channel, row-major. */
    data: Uint8Array;
  }
  interface PngReadOptions {
    checkCRC?: boolean;
    skipRescale?: boolean;
  }
  interface PngWriteOptions {
    /** 0 gray, 2 RGB, 4 gray+alpha, 6 RGBA */
    colorType?: 0 | 2 | 4 | 6;
    inputColorType?: 0 | 2 | 4 | 6;
    inputHasAlpha?: boolean;
    bitDepth?: 8 | 16;
  }
  export const PNG: {
    sync: {
      read(buffer: Uint8Array, options?: PngReadOptions): PngImage & { alpha: boolean; color: boolean; depth: number };
      write(png: PngImage, options?: PngWriteOptions): Uint8Array;
    };
  };
}
