import { Enums as CoreEnums, RenderingEngine, cache, eventTarget, imageLoader, utilities as coreUtilities, type Types } from '@cornerstonejs/core';
import {
  AngleTool,
  ArrowAnnotateTool,
  EllipticalROITool,
  EraserTool,
  Enums as ToolEnums,
  LengthTool,
  PanTool,
  PlanarFreehandROITool,
  ProbeTool,
  ToolGroupManager,
  WindowLevelTool,
  ZoomTool,
  annotation as annotationApi,
  type Types as ToolTypes,
} from '@cornerstonejs/tools';
import { useCallback, useEffect, useId, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { ImageRecord } from '../../contract/methods/imaging.js';
import {
  calibrationFromDicom,
  calibrationFromRecord,
  formatLength,
  manualMmPerPx,
  measureLength,
  type Calibration,
  type DicomSpacingAttributes,
} from './calibration.js';
import { AnnotationSync, type SyncedAnnotation } from './annotation-sync.js';
import type { AnnotationStore } from './annotation-store.js';
import { imageIdFor, parseImageId, registerImage, type DisplayVariant } from './cusp-loader.js';
import { viewerText, type ViewerKey } from './i18n/index.js';
import { absoluteRange, presetRange, presetsFor, relativeRange, type PresetKey, type VoiRange } from './presets.js';
import { setupCornerstone } from './setup.js';
import './viewer.css';

/** What the viewer needs of an image: the contract's record (plus a magnification factor when main has one). */
export type ViewerImage = Pick<
  ImageRecord,
  'id' | 'modality' | 'rows' | 'columns' | 'pixelSpacing' | 'calibrationMmPerPx' | 'window' | 'lossy' | 'thumb200' | 'variants'
> & { magnification?: number | null };

export interface ViewerProps {
  image: ViewerImage;
  language: string;
  /** Save a manual calibration (mm per pixel; null removes it), e.g. through `imaging.calibrate`. */
  onCalibrate?: (mmPerPx: number | null) => Promise<void> | void;
  /**
   * Where annotations are kept (`contractAnnotationStore(client)` in the app): loaded on opening,
   * saved on every change. Without one, drawings last as long as the page.
   */
  annotations?: AnnotationStore;
}

const exportFormats = ['png', 'jpeg', 'gsps'] as const;

type ToolKey = 'windowLevel' | 'zoom' | 'pan' | 'length' | 'angle' | 'arrow' | 'freehand' | 'ellipse' | 'probe' | 'eraser' | 'calibrate';

const toolNames: Record<ToolKey, string> = {
  windowLevel: WindowLevelTool.toolName,
  zoom: ZoomTool.toolName,
  pan: PanTool.toolName,
  length: LengthTool.toolName,
  angle: AngleTool.toolName,
  arrow: ArrowAnnotateTool.toolName,
  freehand: PlanarFreehandROITool.toolName,
  ellipse: EllipticalROITool.toolName,
  probe: ProbeTool.toolName,
  eraser: EraserTool.toolName,
  calibrate: LengthTool.toolName,
};

/** Tools whose result depends on pixel values or spacing: they work on the lossless master only. */
const measuringTools: ReadonlySet<ToolKey> = new Set(['length', 'angle', 'freehand', 'ellipse', 'probe', 'calibrate']);

const shortcuts: ReadonlyArray<{ key: string; label: ViewerKey; run: ToolKey | 'rotate' | 'flipH' | 'flipV' | 'invert' | 'reset' | 'diagnostic' | 'help' }> = [
  { key: 'w', label: 'tools.windowLevel', run: 'windowLevel' },
  { key: 'z', label: 'tools.zoom', run: 'zoom' },
  { key: 'p', label: 'tools.pan', run: 'pan' },
  { key: 'l', label: 'tools.length', run: 'length' },
  { key: 'a', label: 'tools.angle', run: 'angle' },
  { key: 't', label: 'tools.arrow', run: 'arrow' },
  { key: 'f', label: 'tools.freehand', run: 'freehand' },
  { key: 'e', label: 'tools.ellipse', run: 'ellipse' },
  { key: 'i', label: 'tools.probe', run: 'probe' },
  { key: 'x', label: 'tools.eraser', run: 'eraser' },
  { key: 'c', label: 'tools.calibrate', run: 'calibrate' },
  { key: 'r', label: 'actions.rotate', run: 'rotate' },
  { key: 'h', label: 'actions.flipH', run: 'flipH' },
  { key: 'v', label: 'actions.flipV', run: 'flipV' },
  { key: 'n', label: 'actions.invert', run: 'invert' },
  { key: '0', label: 'actions.reset', run: 'reset' },
  { key: 'd', label: 'diagnostic', run: 'diagnostic' },
  { key: '?', label: 'actions.help', run: 'help' },
];

const perfMark: Record<DisplayVariant, string> = {
  thumb200: 'cusp:viewer:thumbnail-shown',
  preview: 'cusp:viewer:preview-shown',
  view: 'cusp:viewer:view-shown',
  master: 'cusp:viewer:master-shown',
};

interface Measurement {
  uid: string;
  kind: 'length' | 'angle';
  text: string;
}

type Status = { state: 'loading' } | { state: 'ready' } | { state: 'error'; reason: string };

/**
 * One radiograph in a Cornerstone3D stack viewport: progressive loading (inline thumbnail →
 * preview → view, keeping zoom, pan and window), the lossless master on demand and before any
 * measurement, window presets per modality, view tools, annotations with undo/redo, calibrated
 * lengths (see calibration.ts) and manual calibration.
 */
export function Viewer({ image, language, onCalibrate, annotations }: ViewerProps) {
  const t = useMemo(() => viewerText(language), [language]);
  const uid = useId().replace(/[^a-zA-Z0-9]/g, '');
  const engineId = `cusp-engine-${uid}`;
  const viewportId = `cusp-viewport-${uid}`;
  const toolGroupId = `cusp-tools-${uid}`;
  const element = useRef<HTMLDivElement>(null);
  const engine = useRef<RenderingEngine | null>(null);
  const shown = useRef<DisplayVariant | null>(null);
  const defaultVoi = useRef<VoiRange | null>(null);
  const baseInvert = useRef(false);
  const userInverted = useRef(false);
  const calibrationRef = useRef<Calibration>(calibrationFromRecord(image));
  const toolRef = useRef<ToolKey>('windowLevel');
  const masterLoad = useRef<Promise<void> | null>(null);
  const languageRef = useRef(language);
  languageRef.current = language;
  const storeRef = useRef(annotations);
  storeRef.current = annotations;
  const sync = useRef<AnnotationSync | null>(null);
  const calibrationUid = useRef<string | null>(null);

  const [status, setStatus] = useState<Status>({ state: 'loading' });
  const [variant, setVariant] = useState<DisplayVariant | null>(null);
  const [loadingMaster, setLoadingMaster] = useState(false);
  const [tool, setTool] = useState<ToolKey>('windowLevel');
  const [calibration, setCalibration] = useState<Calibration>(calibrationRef.current);
  const [measurements, setMeasurements] = useState<Measurement[]>([]);
  const [calibrationLine, setCalibrationLine] = useState<{ uid: string; lengthPx: number } | null>(null);
  const [calibrationError, setCalibrationError] = useState<string | null>(null);
  const [arrowPrompt, setArrowPrompt] = useState<{ initial: string; done: (text: string | null) => void } | null>(null);
  const [helpOpen, setHelpOpen] = useState(false);
  const [preset, setPreset] = useState<PresetKey>('default');
  const [synced, setSynced] = useState<SyncedAnnotation[] | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [saveError, setSaveError] = useState<string | null>(null);
  const [exportOpen, setExportOpen] = useState(false);

  const hasMaster = image.variants.includes('master');
  const viewport = useCallback(() => engine.current?.getViewport(viewportId) as Types.IStackViewport | undefined, [viewportId]);

  const applyCalibration = useCallback(
    (next: Calibration) => {
      calibrationRef.current = next;
      setCalibration(next);
      registerImage({ id: image.id, rows: image.rows, columns: image.columns, modality: image.modality, calibration: next, window: image.window, thumb200: image.thumb200 });
    },
    [image],
  );

  /** Lengths and angles as the side panel lists them, from the drawn points and the Cusp calibration. */
  const refreshMeasurements = useCallback(() => {
    const list: Measurement[] = [];
    const texts: Record<string, string> = {};
    for (const a of imageAnnotations(image.id)) {
      const text = a.annotationUID ? measuredText(a, calibrationRef.current, languageRef.current) : undefined;
      if (text && a.annotationUID) texts[a.annotationUID] = text;
      const toolName = a.metadata?.toolName;
      if (!a.annotationUID) continue;
      if (toolName === LengthTool.toolName) {
        const [p0, p1] = (a.data.handles?.points ?? []) as Types.Point3[];
        if (!p0 || !p1) continue;
        const length = measureLength(calibrationRef.current, [p0[0], p0[1]], [p1[0], p1[1]]);
        list.push({ uid: a.annotationUID, kind: 'length', text: formatLength(length, languageRef.current) });
      } else if (toolName === AngleTool.toolName) {
        const stats = Object.values((a.data as { cachedStats?: Record<string, { angle?: number }> }).cachedStats ?? {})[0];
        if (stats?.angle === undefined || Number.isNaN(stats.angle)) continue;
        const degrees = new Intl.NumberFormat(languageRef.current, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(stats.angle);
        list.push({ uid: a.annotationUID, kind: 'angle', text: `${degrees}°` });
      }
    }
    setMeasurements(list);
    setValues(texts);
    if (sync.current?.isLoaded) setSynced(sync.current.list());
  }, [image.id]);

  /** After a calibration change: Cornerstone re-reads the spacing, every drawing recomputes. */
  const recalibrateViewport = useCallback(() => {
    const vp = viewport();
    const imageId = vp?.getCurrentImageId();
    if (!vp || !imageId) return;
    const presentation = vp.getViewPresentation();
    vp.calibrateSpacing(imageId);
    vp.setViewPresentation(presentation);
    for (const a of annotationApi.state.getAllAnnotations()) a.invalidated = true;
    vp.render();
    refreshMeasurements();
  }, [viewport, refreshMeasurements]);

  /** Swap the displayed variant, keeping zoom, pan, rotation, flips, inversion and the window. */
  const show = useCallback(
    async (next: DisplayVariant) => {
      const vp = viewport();
      if (!vp) return;
      const imageId = imageIdFor(image.id, next);
      await imageLoader.loadAndCacheImage(imageId);
      if (next === 'master') applyCalibration(calibrationFromDicom(masterSpacing(imageId), image.calibrationMmPerPx));
      if (viewport() !== vp) return;
      const previous = shown.current;
      const presentation = previous ? vp.getViewPresentation() : null;
      const current = previous ? vp.getProperties().voiRange : undefined;
      const relative = current && defaultVoi.current ? relativeRange(defaultVoi.current, current) : null;
      await vp.setStack([imageId]);
      const properties = vp.getProperties();
      defaultVoi.current = properties.voiRange ?? null;
      baseInvert.current = properties.invert ?? false;
      if (presentation) vp.setViewPresentation(presentation);
      if (relative && defaultVoi.current) vp.setProperties({ voiRange: absoluteRange(defaultVoi.current, relative) });
      if (userInverted.current) vp.setProperties({ invert: !baseInvert.current });
      retargetAnnotations(image.id, imageId);
      vp.render();
      shown.current = next;
      setVariant(next);
      performance.mark(perfMark[next], { detail: { imageId: image.id } });
      refreshMeasurements();
    },
    [viewport, image, applyCalibration, refreshMeasurements],
  );

  const loadMaster = useCallback(() => {
    if (!hasMaster || shown.current === 'master') return Promise.resolve();
    masterLoad.current ??= (async () => {
      setLoadingMaster(true);
      try {
        await show('master');
      } finally {
        setLoadingMaster(false);
        masterLoad.current = null;
      }
    })();
    return masterLoad.current;
  }, [hasMaster, show]);

  const activate = useCallback(
    async (key: ToolKey) => {
      // Measuring on a lossy image would measure compression artefacts: the master first.
      if (measuringTools.has(key)) await loadMaster().catch(() => undefined);
      const group = ToolGroupManager.getToolGroup(toolGroupId);
      if (!group) return;
      const previous = toolNames[toolRef.current];
      if (previous !== toolNames[key]) group.setToolPassive(previous);
      group.setToolActive(toolNames[key], { bindings: [{ mouseButton: ToolEnums.MouseBindings.Primary }] });
      toolRef.current = key;
      setTool(key);
    },
    [toolGroupId, loadMaster],
  );

  // Cornerstone: engine, viewport and tools for this viewer; torn down with it.
  useEffect(() => {
    let cancelled = false;
    const el = element.current;
    if (!el) return;
    applyCalibration(calibrationFromRecord(image));
    shown.current = null;
    userInverted.current = false;
    setStatus({ state: 'loading' });
    setVariant(null);
    setMeasurements([]);
    setSynced(null);
    setSaveError(null);
    const store = storeRef.current;
    const annotationSync = store
      ? new AnnotationSync({
          imageId: image.id,
          store,
          isTransient: (uid) => uid === calibrationUid.current,
          measuredText: (a) => measuredText(a, calibrationRef.current, languageRef.current),
          onChange: (list) => {
            if (!cancelled) setSynced(list);
          },
          onError: (message) => {
            if (!cancelled) setSaveError(message);
          },
          render: () => engine.current?.getViewport(viewportId)?.render(),
        })
      : null;
    sync.current = annotationSync;
    if (annotationSync) for (const a of imageAnnotations(image.id)) annotationApi.state.removeAnnotation(a.annotationUID!);

    const onAnnotationChange = (event: Event) => {
      const detail = (event as CustomEvent<{ annotation?: ToolTypes.Annotation }>).detail;
      const a = detail?.annotation;
      if (event.type === ToolEnums.Events.ANNOTATION_COMPLETED && a && toolRef.current === 'calibrate' && a.metadata?.toolName === LengthTool.toolName) {
        const [p0, p1] = (a.data.handles?.points ?? []) as Types.Point3[];
        if (p0 && p1 && a.annotationUID) {
          calibrationUid.current = a.annotationUID;
          setCalibrationLine({ uid: a.annotationUID, lengthPx: Math.hypot(p1[0] - p0[0], p1[1] - p0[1]) });
        }
      }
      // A line being drawn with the calibrate tool is not an annotation.
      if (event.type === ToolEnums.Events.ANNOTATION_ADDED && a?.annotationUID && toolRef.current === 'calibrate') calibrationUid.current = a.annotationUID;
      refreshMeasurements();
      sync.current?.schedule();
    };
    const events = [ToolEnums.Events.ANNOTATION_ADDED, ToolEnums.Events.ANNOTATION_COMPLETED, ToolEnums.Events.ANNOTATION_MODIFIED, ToolEnums.Events.ANNOTATION_REMOVED];

    void (async () => {
      await setupCornerstone();
      if (cancelled) return;
      const renderingEngine = new RenderingEngine(engineId);
      engine.current = renderingEngine;
      renderingEngine.enableElement({ viewportId, type: CoreEnums.ViewportType.STACK, element: el, defaultOptions: { background: [0, 0, 0] } });
      const group = ToolGroupManager.createToolGroup(toolGroupId);
      if (!group) throw new Error('Tool group could not be created');
      for (const name of new Set(Object.values(toolNames))) {
        if (name === LengthTool.toolName) {
          group.addTool(name, {
            getTextLines: (data: { label?: string; cachedStats?: Record<string, { length?: number; unit?: string }> }, targetId: string) => {
              const stats = data.cachedStats?.[targetId];
              if (stats?.length === undefined || Number.isNaN(stats.length)) return [];
              const unit = stats.unit === 'mm' ? 'mm' : 'px';
              const estimated = unit === 'mm' && calibrationRef.current.unit === 'mm' && calibrationRef.current.estimated;
              const value = formatLength({ value: stats.length, unit, estimated }, languageRef.current);
              return data.label ? [value, data.label] : [value];
            },
          });
        } else if (name === ArrowAnnotateTool.toolName) {
          group.addTool(name, {
            getTextCallback: (done: (text: string | null) => void) => setArrowPrompt({ initial: '', done }),
            changeTextCallback: (data: { data?: { label?: string } }, _event: unknown, done: (text: string | null) => void) =>
              setArrowPrompt({ initial: data.data?.label ?? '', done }),
          });
        } else group.addTool(name);
      }
      group.addViewport(viewportId, engineId);
      for (const name of new Set(Object.values(toolNames))) group.setToolPassive(name);
      group.setToolActive(WindowLevelTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Primary }] });
      group.setToolActive(PanTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Auxiliary }] });
      group.setToolActive(ZoomTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Secondary }] });
      toolRef.current = 'windowLevel';
      setTool('windowLevel');
      // Annotation events go to Cornerstone's global event target, not to the element.
      for (const name of events) eventTarget.addEventListener(name, onAnnotationChange);

      // Progressive: whatever is available first, each sharper one replacing it in place.
      const sequence: DisplayVariant[] = [];
      if (image.thumb200 || image.variants.includes('thumb200')) sequence.push('thumb200');
      for (const v of ['preview', 'view'] as const) if (image.variants.includes(v)) sequence.push(v);
      if (sequence.length === 0 && hasMaster) sequence.push('master');
      let lastError: unknown = null;
      let annotationsLoaded = false;
      for (const next of sequence) {
        if (cancelled || shown.current === 'master') break;
        try {
          await show(next);
          if (!cancelled) setStatus({ state: 'ready' });
          const vp = renderingEngine.getViewport(viewportId) as Types.IStackViewport | undefined;
          if (annotationSync && vp && !cancelled && !annotationsLoaded) {
            annotationsLoaded = true;
            await annotationSync.load(vp).catch((error: unknown) => {
              if (!cancelled) setSaveError(error instanceof Error ? error.message : String(error));
            });
            refreshMeasurements();
          }
        } catch (error) {
          lastError = error;
        }
      }
      if (!cancelled && shown.current === null) setStatus({ state: 'error', reason: lastError instanceof Error ? lastError.message : String(lastError) });
    })().catch((error: unknown) => {
      if (!cancelled) setStatus({ state: 'error', reason: error instanceof Error ? error.message : String(error) });
    });

    return () => {
      cancelled = true;
      for (const name of events) eventTarget.removeEventListener(name, onAnnotationChange);
      if (annotationSync) {
        // Unsaved drawings get a last save; then they leave the page state (the store has them).
        annotationSync.dispose();
        for (const a of imageAnnotations(image.id)) {
          annotationApi.locking.setAnnotationLocked(a.annotationUID!, false);
          annotationApi.state.removeAnnotation(a.annotationUID!);
        }
      }
      sync.current = null;
      ToolGroupManager.destroyToolGroup(toolGroupId);
      engine.current?.destroy();
      engine.current = null;
    };
    // The image's identity drives the viewer; everything else is read through refs.
  }, [image.id, engineId, viewportId, toolGroupId]);

  // Keep the canvas the size of its box.
  useEffect(() => {
    const el = element.current;
    if (!el) return;
    const observer = new ResizeObserver(() => engine.current?.resize(true, true));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const rotate = () => {
    const vp = viewport();
    if (!vp) return;
    const { rotation = 0 } = vp.getViewPresentation();
    vp.setViewPresentation({ rotation: (rotation + 90) % 360 });
    vp.render();
  };
  const flip = (direction: 'flipHorizontal' | 'flipVertical') => {
    const vp = viewport();
    if (!vp) return;
    vp.setCamera({ [direction]: !vp.getCamera()[direction] });
    vp.render();
  };
  const invert = () => {
    const vp = viewport();
    if (!vp) return;
    userInverted.current = !userInverted.current;
    vp.setProperties({ invert: userInverted.current !== baseInvert.current });
    vp.render();
  };
  const reset = () => {
    const vp = viewport();
    if (!vp) return;
    userInverted.current = false;
    vp.setViewPresentation({ rotation: 0, flipHorizontal: false, flipVertical: false });
    vp.resetCamera();
    vp.resetProperties();
    if (defaultVoi.current) vp.setProperties({ voiRange: defaultVoi.current, invert: baseInvert.current });
    setPreset('default');
    vp.render();
  };
  const applyPreset = (key: PresetKey) => {
    const vp = viewport();
    setPreset(key);
    if (!vp || !defaultVoi.current) return;
    vp.setProperties({ voiRange: absoluteRange(defaultVoi.current, presetRange(key)) });
    vp.render();
  };
  const undo = () => {
    coreUtilities.HistoryMemo.DefaultHistoryMemo.undo();
    viewport()?.render();
    refreshMeasurements();
  };
  const redo = () => {
    coreUtilities.HistoryMemo.DefaultHistoryMemo.redo();
    viewport()?.render();
    refreshMeasurements();
  };

  const run = (action: (typeof shortcuts)[number]['run']) => {
    switch (action) {
      case 'rotate':
        return rotate();
      case 'flipH':
        return flip('flipHorizontal');
      case 'flipV':
        return flip('flipVertical');
      case 'invert':
        return invert();
      case 'reset':
        return reset();
      case 'diagnostic':
        return void loadMaster();
      case 'help':
        return setHelpOpen((open) => !open);
      default:
        return void activate(action);
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement || event.target instanceof HTMLTextAreaElement) return;
    const key = event.key.toLowerCase();
    if ((event.ctrlKey || event.metaKey) && key === 'z') {
      event.preventDefault();
      return event.shiftKey ? redo() : undo();
    }
    if ((event.ctrlKey || event.metaKey) && key === 'y') {
      event.preventDefault();
      return redo();
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === 'Escape') return setHelpOpen(false);
    const presetIndex = Number(event.key);
    const presetKeys = presetsFor(image.modality);
    if (event.key >= '1' && event.key <= '9' && presetIndex <= presetKeys.length) return applyPreset(presetKeys[presetIndex - 1]!);
    const shortcut = shortcuts.find((s) => s.key === event.key || s.key === key);
    if (shortcut) {
      event.preventDefault();
      run(shortcut.run);
    }
  };

  const submitCalibration = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!calibrationLine) return;
    const knownMm = Number(String(new FormData(event.currentTarget).get('knownMm') ?? '').replace(',', '.'));
    let mmPerPx: number;
    try {
      mmPerPx = manualMmPerPx(calibrationLine.lengthPx, knownMm);
    } catch {
      setCalibrationError(t('calibration.invalid'));
      return;
    }
    await onCalibrate?.(mmPerPx);
    annotationApi.state.removeAnnotation(calibrationLine.uid);
    setCalibrationLine(null);
    setCalibrationError(null);
    applyCalibration(calibrationFromDicom(shown.current === 'master' ? masterSpacing(imageIdFor(image.id, 'master')) : {}, mmPerPx));
    recalibrateViewport();
    void activate('length');
  };

  const cancelCalibration = () => {
    if (calibrationLine) annotationApi.state.removeAnnotation(calibrationLine.uid);
    setCalibrationLine(null);
    setCalibrationError(null);
    viewport()?.render();
    refreshMeasurements();
  };

  const removeCalibration = async () => {
    await onCalibrate?.(null);
    const record = { ...image, calibrationMmPerPx: null };
    applyCalibration(shown.current === 'master' ? calibrationFromDicom(masterSpacing(imageIdFor(image.id, 'master')), null) : calibrationFromRecord(record));
    recalibrateViewport();
  };

  /** A label typed in the panel: on the drawing (Length shows it, an arrow's text is its label), then saved. */
  const setLabel = (uid: string, label: string) => {
    const a = annotationApi.state.getAnnotation(uid);
    if (!a || a.isLocked) return;
    (a.data as { label?: string }).label = label;
    a.invalidated = true;
    viewport()?.render();
    refreshMeasurements();
    sync.current?.schedule(0);
  };
  const removeDrawing = (uid: string) => {
    const a = annotationApi.state.getAnnotation(uid);
    if (!a || a.isLocked) return;
    annotationApi.state.removeAnnotation(uid);
    viewport()?.render();
    refreshMeasurements();
    sync.current?.schedule(0);
  };

  const lossy = variant !== 'master' || image.lossy;
  const toolButtons: ToolKey[] = ['windowLevel', 'zoom', 'pan', 'length', 'angle', 'arrow', 'freehand', 'ellipse', 'probe', 'eraser', 'calibrate'];
  const shortcutFor = (run: string) => shortcuts.find((s) => s.run === run)?.key.toUpperCase();

  return (
    <section
      className="cusp-viewer"
      aria-label={t('label')}
      data-state={status.state}
      data-variant={variant ?? ''}
      data-active-tool={tool}
      data-engine-id={engineId}
      data-viewport-id={viewportId}
      onKeyDown={onKeyDown}
      tabIndex={0}
    >
      <div className="viewer-toolbar" role="toolbar" aria-label={t('toolbar')}>
        {toolButtons.map((key) => (
          <button key={key} type="button" aria-pressed={tool === key} data-tool={key} title={`${t(`tools.${key}`)} (${shortcutFor(key)})`} onClick={() => void activate(key)}>
            {t(`tools.${key}`)}
          </button>
        ))}
        <span className="viewer-separator" />
        <button type="button" data-action="rotate" onClick={rotate} title={`${t('actions.rotate')} (R)`}>
          {t('actions.rotate')}
        </button>
        <button type="button" data-action="flipH" onClick={() => flip('flipHorizontal')} title={`${t('actions.flipH')} (H)`}>
          {t('actions.flipH')}
        </button>
        <button type="button" data-action="flipV" onClick={() => flip('flipVertical')} title={`${t('actions.flipV')} (V)`}>
          {t('actions.flipV')}
        </button>
        <button type="button" data-action="invert" onClick={invert} title={`${t('actions.invert')} (N)`}>
          {t('actions.invert')}
        </button>
        <button type="button" data-action="reset" onClick={reset} title={`${t('actions.reset')} (0)`}>
          {t('actions.reset')}
        </button>
        <button type="button" data-action="undo" onClick={undo} title={`${t('actions.undo')} (Ctrl+Z)`}>
          {t('actions.undo')}
        </button>
        <button type="button" data-action="redo" onClick={redo} title={`${t('actions.redo')} (Ctrl+Y)`}>
          {t('actions.redo')}
        </button>
        <label className="viewer-preset">
          {t('presets.label')}
          <select value={preset} onChange={(event) => applyPreset(event.target.value as PresetKey)}>
            {presetsFor(image.modality).map((key, index) => (
              <option key={key} value={key}>
                {`${index + 1} · ${t(`presets.${key}`)}`}
              </option>
            ))}
          </select>
        </label>
        {hasMaster ? (
          <span className="viewer-export">
            <button type="button" data-action="export" aria-haspopup="menu" aria-expanded={exportOpen} onClick={() => setExportOpen((open) => !open)}>
              {t('export.button')}
            </button>
            {exportOpen ? (
              <span className="viewer-export-menu" role="menu">
                {exportFormats.map((format) => (
                  <a
                    key={format}
                    role="menuitem"
                    data-export={format}
                    href={`/img/${encodeURIComponent(image.id)}/export?format=${format}`}
                    download
                    onClick={() => setExportOpen(false)}
                  >
                    {t(`export.${format}`)}
                  </a>
                ))}
              </span>
            ) : null}
          </span>
        ) : null}
        <button type="button" data-action="help" aria-expanded={helpOpen} onClick={() => setHelpOpen((open) => !open)}>
          {t('actions.help')}
        </button>
      </div>

      <div className="viewer-body">
        <div className="viewer-stage">
          <div className="viewer-viewport" ref={element} onContextMenu={(event) => event.preventDefault()} />
          <div className="viewer-overlay">
            {lossy && status.state === 'ready' ? (
              <span className="viewer-lossy" role="status" data-lossy>
                {t('lossy')}
              </span>
            ) : null}
            {variant ? <span className="viewer-variant">{t(`variant.${variant}`)}</span> : null}
          </div>
          {status.state === 'loading' ? <p className="viewer-message">{t('loading')}</p> : null}
          {status.state === 'error' ? (
            <p className="viewer-message" role="alert">
              {t('failed', { reason: status.reason })}
            </p>
          ) : null}
        </div>

        <aside className="viewer-panel">
          <button
            type="button"
            className="viewer-diagnostic"
            data-action="diagnostic"
            disabled={!hasMaster || variant === 'master' || loadingMaster}
            title={hasMaster ? `${t('diagnostic')} (D)` : t('noMaster')}
            onClick={() => void loadMaster()}
          >
            {loadingMaster ? t('loadingMaster') : variant === 'master' ? t('diagnosticShown') : t('diagnostic')}
          </button>

          <h2>{t('calibration.title')}</h2>
          <p className="viewer-calibration" data-calibration={calibration.unit === 'mm' ? calibration.source : 'none'}>
            {describeCalibration(calibration, t, language)}
          </p>
          {calibration.unit === 'mm' && calibration.source === 'manual' ? (
            <button type="button" onClick={() => void removeCalibration()}>
              {t('calibration.remove')}
            </button>
          ) : null}
          {tool === 'calibrate' && !calibrationLine ? <p>{t('calibration.drawLine')}</p> : null}
          {calibrationLine ? (
            <form className="viewer-calibrate" onSubmit={(event) => void submitCalibration(event)}>
              <p>{t('calibration.lineLength', { px: formatLength({ value: calibrationLine.lengthPx, unit: 'px', estimated: false }, language).replace(/\s?px$/, '') })}</p>
              <label>
                {t('calibration.knownLength')}
                <input name="knownMm" inputMode="decimal" autoFocus required />
              </label>
              {calibrationError ? <p role="alert">{calibrationError}</p> : null}
              <button type="submit">{t('calibration.apply')}</button>
              <button type="button" onClick={cancelCalibration}>
                {t('calibration.cancel')}
              </button>
            </form>
          ) : null}

          <h2>{t('measurements.title')}</h2>
          {measurements.length === 0 ? <p>{t('measurements.empty')}</p> : null}
          <ul className="viewer-measurements">
            {measurements.map((m) => (
              <li key={m.uid} data-kind={m.kind} data-uid={m.uid}>
                <span>{t(`measurements.${m.kind}`)}</span> <output>{m.text}</output>
              </li>
            ))}
          </ul>

          {annotations ? (
            <>
              <h2>{t('annotations.title')}</h2>
              {saveError ? (
                <p className="viewer-save-error" role="alert">
                  {t('annotations.saveFailed', { reason: saveError })}{' '}
                  <button type="button" onClick={() => sync.current?.retry()}>
                    {t('annotations.retry')}
                  </button>
                </p>
              ) : null}
              {synced?.length === 0 ? <p>{t('annotations.empty')}</p> : null}
              <ul className="viewer-annotations" data-loaded={synced !== null}>
                {(synced ?? []).map((a) => (
                  <AnnotationRow
                    key={a.uid}
                    item={a}
                    value={values[a.uid] ?? ''}
                    t={t}
                    language={language}
                    onLabel={(label) => setLabel(a.uid, label)}
                    onDelete={() => removeDrawing(a.uid)}
                  />
                ))}
              </ul>
            </>
          ) : null}
        </aside>
      </div>

      {arrowPrompt ? (
        <form
          className="viewer-dialog"
          role="dialog"
          aria-label={t('arrow.prompt')}
          onSubmit={(event) => {
            event.preventDefault();
            arrowPrompt.done(String(new FormData(event.currentTarget).get('text') ?? ''));
            setArrowPrompt(null);
          }}
        >
          <label>
            {t('arrow.prompt')}
            <input name="text" defaultValue={arrowPrompt.initial} autoFocus />
          </label>
          <button type="submit">{t('arrow.save')}</button>
          <button
            type="button"
            onClick={() => {
              arrowPrompt.done(null);
              setArrowPrompt(null);
            }}
          >
            {t('arrow.cancel')}
          </button>
        </form>
      ) : null}

      {helpOpen ? (
        <div className="viewer-dialog viewer-help" role="dialog" aria-label={t('help.title')}>
          <h2>{t('help.title')}</h2>
          <dl>
            {shortcuts.map((s) => (
              <div key={s.key}>
                <dt>
                  <kbd>{s.key.toUpperCase()}</kbd>
                </dt>
                <dd>{t(s.label)}</dd>
              </div>
            ))}
            <div>
              <dt>
                <kbd>1</kbd>–<kbd>{presetsFor(image.modality).length}</kbd>
              </dt>
              <dd>{t('presets.label')}</dd>
            </div>
            <div>
              <dt>
                <kbd>Ctrl+Z</kbd> / <kbd>Ctrl+Y</kbd>
              </dt>
              <dd>
                {t('actions.undo')} / {t('actions.redo')}
              </dd>
            </div>
          </dl>
          <button type="button" onClick={() => setHelpOpen(false)}>
            {t('help.close')}
          </button>
        </div>
      ) : null}
    </section>
  );
}

/** One annotation in the side panel: tool, label (editable by its author or an admin), value, author, time. */
function AnnotationRow({
  item,
  value,
  t,
  language,
  onLabel,
  onDelete,
}: {
  item: SyncedAnnotation;
  value: string;
  t: ReturnType<typeof viewerText>;
  language: string;
  onLabel: (label: string) => void;
  onDelete: () => void;
}) {
  const editable = item.record ? item.record.editable : true;
  const [draft, setDraft] = useState(item.label);
  useEffect(() => setDraft(item.label), [item.label]);
  const commit = () => {
    if (draft !== item.label) onLabel(draft);
  };
  const when = item.record ? new Intl.DateTimeFormat(language, { dateStyle: 'short', timeStyle: 'short' }).format(new Date(item.record.updatedAt)) : '';
  return (
    <li data-uid={item.uid} data-annotation-id={item.record?.id ?? ''} data-tool={item.tool} data-editable={editable} data-state={item.state}>
      <span className="viewer-annotation-tool">{toolLabel(item.tool, t)}</span> {value ? <output>{value}</output> : null}
      {editable ? (
        <label>
          {t('annotations.label')}
          <input
            name="label"
            value={draft}
            maxLength={500}
            onChange={(event) => setDraft(event.target.value)}
            onBlur={commit}
            onKeyDown={(event) => {
              if (event.key === 'Enter') commit();
            }}
          />
        </label>
      ) : (
        <span className="viewer-annotation-label">{item.label}</span>
      )}
      <small>
        {item.record ? t('annotations.by', { author: item.record.authorName, time: when }) : null}
        {item.state === 'pending' ? ` ${t('annotations.saving')}` : item.state === 'error' ? ` ${t('annotations.notSaved')}` : ''}
        {!editable ? ` · ${t('annotations.locked')}` : ''}
      </small>
      {editable ? (
        <button type="button" data-action="delete-annotation" onClick={onDelete}>
          {t('annotations.delete')}
        </button>
      ) : null}
    </li>
  );
}

const toolKeys: Record<string, ViewerKey> = {
  [LengthTool.toolName]: 'tools.length',
  [AngleTool.toolName]: 'tools.angle',
  [ArrowAnnotateTool.toolName]: 'tools.arrow',
  [PlanarFreehandROITool.toolName]: 'tools.freehand',
  [EllipticalROITool.toolName]: 'tools.ellipse',
  [ProbeTool.toolName]: 'tools.probe',
};
const toolLabel = (tool: string, t: ReturnType<typeof viewerText>) => (toolKeys[tool] ? t(toolKeys[tool]) : tool);

/** The measured value of a drawing as the viewer shows it (length with the Cusp calibration, angle, area, probe). */
function measuredText(a: ToolTypes.Annotation, calibration: Calibration, language: string): string | undefined {
  const toolName = a.metadata?.toolName;
  const number = (value: number) => new Intl.NumberFormat(language, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(value);
  if (toolName === LengthTool.toolName) {
    const [p0, p1] = (a.data.handles?.points ?? []) as Types.Point3[];
    if (!p0 || !p1) return undefined;
    return formatLength(measureLength(calibration, [p0[0], p0[1]], [p1[0], p1[1]]), language);
  }
  const stats = Object.values((a.data as { cachedStats?: Record<string, Record<string, unknown>> }).cachedStats ?? {})[0];
  if (!stats) return undefined;
  if (toolName === AngleTool.toolName && typeof stats.angle === 'number' && !Number.isNaN(stats.angle)) return `${number(stats.angle)}°`;
  if ((toolName === EllipticalROITool.toolName || toolName === PlanarFreehandROITool.toolName) && typeof stats.area === 'number' && !Number.isNaN(stats.area)) {
    return `${number(stats.area)} ${String(stats.areaUnit ?? 'px²')}`;
  }
  if (toolName === ProbeTool.toolName && typeof stats.value === 'number') return number(stats.value);
  return undefined;
}

function describeCalibration(calibration: Calibration, t: ReturnType<typeof viewerText>, language: string): string {
  if (calibration.unit === 'px') return t('calibration.none');
  const number = (value: number, digits: number) => new Intl.NumberFormat(language, { maximumFractionDigits: digits }).format(value);
  const mm = calibration.spacing.row === calibration.spacing.column ? number(calibration.spacing.row, 4) : `${number(calibration.spacing.row, 4)} × ${number(calibration.spacing.column, 4)}`;
  return t(`calibration.${calibration.source}`, { mm, factor: number(calibration.magnification ?? 1, 3) });
}

/**
 * The spacing attributes of a loaded master, from what the DICOM loader kept on the image: a
 * dicom-parser data set, or a naturalized header (`{ PixelSpacing: [...] }`) on its newer path.
 */
function masterSpacing(imageId: string): DicomSpacingAttributes {
  const data = (cache.getImage(imageId) as { data?: unknown } | undefined)?.data;
  if (!data || typeof data !== 'object') return {};
  const numbers = (value: unknown): number[] | null => {
    if (Array.isArray(value)) return value.map(Number);
    if (typeof value === 'number') return [value];
    if (typeof value === 'string' && value.trim()) return value.split('\\').map((v) => Number(v.trim()));
    return null;
  };
  const first = (value: unknown) => numbers(value)?.[0] ?? null;
  if (typeof (data as { string?: unknown }).string === 'function') {
    const dataSet = data as { string(tag: string): string | undefined };
    return {
      pixelSpacing: numbers(dataSet.string('x00280030')),
      imagerPixelSpacing: numbers(dataSet.string('x00181164')),
      magnification: first(dataSet.string('x00181114')),
      pixelSpacingCalibrationType: dataSet.string('x00280a02') ?? null,
    };
  }
  const natural = data as Record<string, unknown>;
  return {
    pixelSpacing: numbers(natural.PixelSpacing),
    imagerPixelSpacing: numbers(natural.ImagerPixelSpacing),
    magnification: first(natural.EstimatedRadiographicMagnificationFactor),
    pixelSpacingCalibrationType: typeof natural.PixelSpacingCalibrationType === 'string' ? natural.PixelSpacingCalibrationType : null,
  };
}

/** The drawings on any variant of one Cusp image. */
function imageAnnotations(cuspId: string): ToolTypes.Annotation[] {
  return annotationApi.state.getAllAnnotations().filter((a) => {
    const referenced = a.metadata?.referencedImageId;
    return referenced !== undefined && parseImageId(referenced)?.id === cuspId;
  });
}

/**
 * Drawings belong to the image, not to one of its variants: when a sharper variant replaces the
 * shown one, they move to it (world coordinates are the same full-resolution pixels).
 */
function retargetAnnotations(cuspId: string, imageId: string): void {
  for (const a of annotationApi.state.getAllAnnotations()) {
    const referenced = a.metadata?.referencedImageId;
    if (!a.metadata || !referenced || referenced === imageId || parseImageId(referenced)?.id !== cuspId) continue;
    a.metadata.referencedImageId = imageId;
    delete (a.metadata as { referencedImageURI?: string }).referencedImageURI;
    a.invalidated = true;
  }
}
