/**
 * The page: inputs, progress and cancel, the self-check, the metrics, the before/after hillshade and the download.
 * The model runs in a worker (`worker.ts`); this thread only draws.
 */
import type { NamedBytes, RunResult, WorkerMessage } from './protocol.js';

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const coarseInput = element<HTMLInputElement>('coarse-file');
const guideInput = element<HTMLInputElement>('guide-file');
const referenceInput = element<HTMLInputElement>('reference-file');
const bandsInput = element<HTMLInputElement>('guide-bands');
const runButton = element<HTMLButtonElement>('run-button');
const sampleButton = element<HTMLButtonElement>('sample-button');
const cancelButton = element<HTMLButtonElement>('cancel-button');
const progress = element<HTMLProgressElement>('progress');
const progressLabel = element<HTMLSpanElement>('progress-label');
const message = element<HTMLDivElement>('message');
const results = element<HTMLElement>('results');
const selfCheck = element<HTMLParagraphElement>('self-check');
const metricsTable = element<HTMLTableElement>('metrics');
const beforeCanvas = element<HTMLCanvasElement>('before');
const afterCanvas = element<HTMLCanvasElement>('after');
const slider = element<HTMLInputElement>('compare-slider');
const download = element<HTMLAnchorElement>('download');

/** Files chosen by name: those dropped or picked, or the bundled sample. */
const chosen: { coarse: File | null; guide: File | null; reference: File | null } = {
  coarse: null,
  guide: null,
  reference: null,
};

let worker = createWorker();
let busy = false;
let cancelTimer: ReturnType<typeof setTimeout> | undefined;

function createWorker(): Worker {
  const created = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  created.onmessage = (event: MessageEvent<WorkerMessage>) => handle(event.data);
  created.onerror = (event) => {
    event.preventDefault();
    finish();
    showMessage(`The prediction worker failed: ${event.message}`, true);
  };
  return created;
}

function handle(data: WorkerMessage): void {
  switch (data.type) {
    case 'status':
      showMessage(data.text, false);
      break;
    case 'progress':
      progress.max = data.total;
      progress.value = data.done;
      progressLabel.textContent = `${data.stage === 'self-check' ? 'Self-check' : 'Prediction'}: tile ${data.done} of ${data.total}`;
      break;
    case 'result':
      finish();
      show(data);
      break;
    case 'error':
      finish();
      showMessage(data.message, true);
      break;
    case 'cancelled':
      finish();
      showMessage('Cancelled; nothing was produced.', false);
      break;
  }
}

function showMessage(text: string, error: boolean): void {
  message.textContent = text;
  message.className = error ? 'error' : '';
}

function finish(): void {
  busy = false;
  clearTimeout(cancelTimer);
  cancelButton.disabled = true;
  updateRunButton();
}

function updateRunButton(): void {
  runButton.disabled = busy || chosen.coarse === null || chosen.guide === null;
}

function parseBands(text: string): [number, number, number] {
  const bands = text.split(',').map((part) => Number(part.trim()));
  if (bands.length !== 3 || bands.some((band) => !Number.isInteger(band) || band < 1)) {
    throw new Error(
      `Guide bands must be three band numbers counted from 1 (NIR, red, green), e.g. "1,2,3"; got "${text}"`,
    );
  }
  return bands.map((band) => band - 1) as [number, number, number];
}

async function named(file: File | null): Promise<NamedBytes | null> {
  return file === null ? null : { name: file.name, bytes: await file.arrayBuffer() };
}

async function run(): Promise<void> {
  if (busy || chosen.coarse === null || chosen.guide === null) return;
  let guideBands: [number, number, number];
  try {
    guideBands = parseBands(bandsInput.value);
  } catch (error) {
    showMessage((error as Error).message, true);
    return;
  }
  busy = true;
  updateRunButton();
  cancelButton.disabled = false;
  results.hidden = true;
  progress.value = 0;
  progressLabel.textContent = '';
  showMessage('Reading the files...', false);
  const [coarse, guide, reference] = await Promise.all([
    named(chosen.coarse),
    named(chosen.guide),
    named(chosen.reference),
  ]);
  const transfer = [coarse!.bytes, guide!.bytes, ...(reference === null ? [] : [reference.bytes])];
  worker.postMessage({ type: 'run', coarse, guide, reference, guideBands }, transfer);
}

function cancel(): void {
  if (!busy) return;
  cancelButton.disabled = true;
  showMessage('Cancelling...', false);
  worker.postMessage({ type: 'cancel' });
  // A worker busy inside one long tile may not see the message soon: after 3 s it is stopped and replaced.
  cancelTimer = setTimeout(() => {
    worker.terminate();
    worker = createWorker();
    finish();
    showMessage('Cancelled; nothing was produced.', false);
  }, 3000);
}

function show(result: RunResult): void {
  const check = result.selfCheck;
  const percent = (gain: number) => `${gain >= 0 ? '+' : ''}${(100 * gain).toFixed(1)} %`;
  selfCheck.textContent =
    check === null
      ? 'The self-check did not run.'
      : `Self-check on your scene, one scale down: RMSE of SiRAN ${check.modelRmse.toFixed(2)} m, of bicubic ` +
        `${check.bicubicRmse.toFixed(2)} m: expected gain over bicubic ${percent(check.expectedGain)}; blended with ` +
        `bicubic region by region, as the output is, ${check.blendedRmse.toFixed(2)} m: expected gain ` +
        `${percent(check.bicubicRmse > 0 ? 1 - check.blendedRmse / check.bicubicRmse : 0)} (model share ` +
        `${(100 * check.sceneShare).toFixed(0)} %). Output check: ${result.outputCheck}. ${result.tiles} tiles in ` +
        `${result.seconds.toFixed(1)} s on ${result.backend}.`;
  metricsTable.replaceChildren();
  if (result.metrics !== null) {
    const header = metricsTable.insertRow();
    for (const text of ['against the reference', 'RMSE (m)', 'MAE (m)', 'bias (m)', 'PSNR (dB)']) {
      const cell = document.createElement('th');
      cell.textContent = text;
      header.append(cell);
    }
    for (const [label, values] of [
      ['bicubic', result.metrics.bicubic],
      ['SiRAN', result.metrics.siran],
    ] as const) {
      const row = metricsTable.insertRow();
      row.dataset.method = label;
      for (const text of [
        label,
        values.rmse.toFixed(3),
        values.mae.toFixed(3),
        values.bias.toFixed(3),
        values.psnr.toFixed(2),
      ]) {
        row.insertCell().textContent = text;
      }
    }
  }
  paint(beforeCanvas, result.bicubicShade, result.width, result.height);
  paint(afterCanvas, result.predictionShade, result.width, result.height);
  setSplit();
  URL.revokeObjectURL(download.href);
  download.href = URL.createObjectURL(new Blob([result.tiff], { type: 'image/tiff' }));
  download.download = `${(chosen.coarse?.name ?? 'dem').replace(/\.[^.]*$/, '')}-siran.tif`;
  results.hidden = false;
  showMessage('Done.', false);
}

function paint(canvas: HTMLCanvasElement, shade: Uint8ClampedArray, width: number, height: number): void {
  canvas.width = width;
  canvas.height = height;
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < shade.length; i++) {
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = shade[i];
    rgba[4 * i + 3] = shade[i] === 0 ? 0 : 255; // hillshades are 1-255; 0 is no value
  }
  canvas.getContext('2d')!.putImageData(new ImageData(rgba, width, height), 0, 0);
}

function setSplit(): void {
  afterCanvas.style.clipPath = `inset(0 0 0 ${slider.value}%)`;
}

const inputs = { coarse: coarseInput, guide: guideInput, reference: referenceInput };

function choose(role: keyof typeof chosen, file: File | null): void {
  chosen[role] = file;
  if (inputs[role].files?.[0] !== file) inputs[role].value = '';
  element<HTMLSpanElement>(`${role}-name`).textContent = file?.name ?? 'none';
  updateRunButton();
}

for (const [role, input] of [
  ['coarse', coarseInput],
  ['guide', guideInput],
  ['reference', referenceInput],
] as const) {
  input.addEventListener('change', () => choose(role, input.files?.[0] ?? null));
  const zone = input.closest('label')!;
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    choose(role, event.dataTransfer?.files[0] ?? null);
  });
}

sampleButton.addEventListener('click', async () => {
  showMessage('Fetching the bundled sample...', false);
  try {
    const files = await Promise.all(
      ['coarse', 'guide', 'reference'].map(async (role) => {
        const response = await fetch(`sample/${role}.tif`);
        if (!response.ok) throw new Error(`sample/${role}.tif answered HTTP ${response.status}`);
        return new File([await response.blob()], `zion-${role}.tif`, { type: 'image/tiff' });
      }),
    );
    choose('coarse', files[0]);
    choose('guide', files[1]);
    choose('reference', files[2]);
    bandsInput.value = '1,2,3';
    showMessage(
      'Sample loaded: SRTM over Zion (coarsened to 360 m), Landsat 8 NIR/red/green at 90 m, and SRTM at 90 m as the reference.',
      false,
    );
  } catch (error) {
    showMessage(`The sample could not be loaded: ${(error as Error).message}`, true);
  }
});
runButton.addEventListener('click', () => void run());
cancelButton.addEventListener('click', cancel);
slider.addEventListener('input', setSplit);
updateRunButton();
