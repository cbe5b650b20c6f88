/** The workbench page's entry: defines the components; index.html holds <cw-app>. */
import './ui/app';
