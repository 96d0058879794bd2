// Preload: the one narrow `window.lab` object the renderer may use.
import { contextBridge } from 'electron';

const lab = {
  version: '0.1.0',
};

contextBridge.exposeInMainWorld('lab', lab);
