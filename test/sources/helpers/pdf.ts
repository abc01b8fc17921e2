/**
 * Builds a small, valid PDF (Helvetica text, one content stream per page, optional Info
 * dictionary and XMP metadata) so tests run real PDF text extraction without binary
 * fixtures in the repository.
 */
export function makePdf(
  pages: string[][],
  opts: { title?: string; author?: string; xmpWebStatement?: string } = {},
): Uint8Array {
  const esc = (s: string) => s.replace(/\\/g, "\\\\").replace(/\(/g, "\\(").replace(/\)/g, "\\)");
  const objects: string[] = [];
  const add = (body: string) => objects.push(body);
  const pageIds: number[] = [];
  // 1 catalog, 2 pages, 3 font; pages and contents follow.
  const first = 4;
  for (let i = 0; i < pages.length; i++) pageIds.push(first + i * 2);
  const xmpId = first + pages.length * 2;
  const infoId = xmpId + 1;
  add(`<< /Type /Catalog /Pages 2 0 R${opts.xmpWebStatement ? ` /Metadata ${xmpId} 0 R` : ""} >>`);
  add(`<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(" ")}] /Count ${pages.length} >>`);
  add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  pages.forEach((lines, i) => {
    const content = `BT /F1 11 Tf 72 740 Td 14 TL ${lines.map((l) => `(${esc(l)}) Tj T*`).join(" ")} ET`;
    add(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${pageIds[i]! + 1} 0 R /Resources << /Font << /F1 3 0 R >> >> >>`,
    );
    add(`<< /Length ${Buffer.byteLength(content, "latin1")} >>\nstream\n${content}\nendstream`);
  });
  const xmp = opts.xmpWebStatement
    ? `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"><xmpRights:WebStatement>${opts.xmpWebStatement}</xmpRights:WebStatement></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`
    : "";
  add(
    `<< /Type /Metadata /Subtype /XML /Length ${Buffer.byteLength(xmp, "latin1")} >>\nstream\n${xmp}\nendstream`,
  );
  add(
    `<< ${opts.title ? `/Title (${esc(opts.title)}) ` : ""}${opts.author ? `/Author (${esc(opts.author)}) ` : ""}/CreationDate (D:20240315120000Z) >>`,
  );
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, "latin1"));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, "latin1");
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info ${infoId} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(out, "latin1"));
}
