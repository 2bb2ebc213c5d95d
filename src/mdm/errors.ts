/**
 * What went wrong in a message from a device, as a fact with a stable code. The domain decides
 * what a device is told and what people read; this layer only says what it found.
 */
export class MdmProtocolError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MdmProtocolError';
  }
}
