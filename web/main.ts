import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { App } from './app.js';
import { html } from './html.js';

const root = document.getElementById('app');
if (root !== null) render(html`<${App} />`, root);
