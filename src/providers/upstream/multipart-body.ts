import { randomBytes } from 'node:crypto';

export interface MultipartFile {
  filename: string;
  contentType: string;
  bytes: Buffer;
}

/** A multipart/form-data body of text fields and files (OpenAI's upload endpoints want one). */
export function buildMultipartBody(fields: Record<string, string | MultipartFile | undefined>): { body: Buffer; contentType: string } {
  const boundary = `----sluice${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (typeof value === 'string') {
      parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
    } else {
      parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"; filename="${value.filename}"\r\n` +
        `content-type: ${value.contentType}\r\n\r\n`), value.bytes, Buffer.from('\r\n'));
    }
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}
