import mime from 'mime-types';

const words = (...groups: string[]) => groups.flatMap((g) => g.trim().split(/\s+/));

/**
 * Extensions that make a downloaded file run, or open in a program that runs it, when a person
 * double-clicks it: Microsoft's list of file types Outlook blocks as attachments ("Level 1"),
 * without the entries that only hold data (certificates, .pst, .tmp), plus Unix shell scripts,
 * desktop launchers and installer packages of Linux and macOS.
 */
export const EXECUTABLE_EXTENSIONS: ReadonlySet<string> = new Set(
  words(
    // Windows programs, installers, shortcuts and shell files
    `exe com scr pif cpl dll ocx sys drv msi msp mst msu msc appx appxbundle msix msixbundle
     appinstaller application appref-ms gadget hta htc inf ins isp lnk url website scf shb shs xbap
     xll xnk reg diagcab settingcontent-ms library-ms search-ms chm hlp cnt grp hpj its mcf prf prg
     printerexport vhd vhdx vsmacros vsw webpnp ws wsc wsf wsh sct ops osd pcd plg fxp bgi crx`,
    // Office databases and add-ins that carry macros (blocked by Outlook)
    `ade adp mad maf mag mam maq mar mas mat mau mav maw mda mdb mde mdt mdw mdz`,
    // Scripts
    `bat cmd js jse mjs cjs vb vbe vbs vbp ps1 ps1xml ps2 ps2xml psc1 psc2 psd1 psdm1 psm1 msh msh1
     msh2 mshxml msh1xml msh2xml bas sh bash zsh csh ksh fish command tool pl py pyc pyo pyw pyz pyzw
     rb php asp aspx applescript scpt workflow`,
    // Java, Linux and macOS programs and packages
    `jar jnlp class run desktop appimage deb rpm app pkg mpkg dmg elf so dylib ko`,
  ),
);

/**
 * The name a file is shown and downloaded under: its own base name, but never an extension of
 * EXECUTABLE_EXTENSIONS that its detected type does not justify. Such an extension becomes
 * `.txt` for text and `.bin` for anything else (`run.bat` holding text → `run.txt`,
 * `invoice.pdf.exe` holding a PDF → `invoice.pdf.bin`). A type justifies an extension when the
 * MIME database (`mime-types`) lists it for that type, and only where the operator allows
 * executables (MEDIA_ALLOW_EXECUTABLES): otherwise each of them is replaced, so a `.jar` or a
 * `.lnk` detected as one is a `.bin` too. Windows drops trailing dots and spaces from a saved
 * name (`run.bat.` is saved as `run.bat`), so the extension is read without them.
 */
export function safeDownloadName(name: string, detectedMime: string, opts: { allowExecutables: boolean }): string {
  const trimmed = name.replace(/[. ]+$/u, '');
  const dot = trimmed.lastIndexOf('.');
  if (dot < 0) return name;
  const ext = trimmed.slice(dot + 1).toLowerCase();
  if (!EXECUTABLE_EXTENSIONS.has(ext)) return name;
  if (opts.allowExecutables && (mime.extensions[detectedMime] ?? []).includes(ext)) return name;
  return `${trimmed.slice(0, dot)}.${detectedMime.startsWith('text/') ? 'txt' : 'bin'}`;
}
